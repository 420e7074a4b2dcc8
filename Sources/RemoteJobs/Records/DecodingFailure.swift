/// A decoding failure of a file p keeps (a job record, `config.yaml`) as a short sentence a
/// person can act on: what was wrong, and where in the file.
enum DecodingFailure {
    /// `error` as "what, at where"; an error that is not a `DecodingError` as itself.
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case .keyNotFound(let key, let context):
            return "missing '\(key.stringValue)' at \(location(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(context.debugDescription) at \(location(context))"
        @unknown default:
            return "\(decoding)"
        }
    }

    private static func location(_ context: DecodingError.Context) -> String {
        let parts = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        return parts.isEmpty ? "the top level" : parts.joined(separator: ".")
    }
}
