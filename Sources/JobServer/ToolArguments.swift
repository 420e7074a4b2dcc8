import MCP

/// A tool call's arguments, read with clear errors for the caller.
struct ToolArguments {
    let values: [String: Value]

    init(_ values: [String: Value]?) {
        self.values = values ?? [:]
    }

    func string(_ key: String) throws(ToolError) -> String? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw ToolError("'\(key)' must be a string") }
        return text
    }

    func requiredString(_ key: String) throws(ToolError) -> String {
        guard let text = try string(key), !text.isEmpty else { throw ToolError("'\(key)' is required") }
        return text
    }

    /// A whole number within `range`; JSON clients may send `3.0` for 3.
    func integer(_ key: String, in range: ClosedRange<Int>) throws(ToolError) -> Int? {
        guard let value = values[key], !value.isNull else { return nil }
        let number: Int
        if let whole = value.intValue {
            number = whole
        } else if let real = value.doubleValue, real.rounded() == real, abs(real) < 1e15 {
            number = Int(real)
        } else {
            throw ToolError("'\(key)' must be a whole number")
        }
        guard range.contains(number) else {
            throw ToolError("'\(key)' must be between \(range.lowerBound) and \(range.upperBound), not \(number)")
        }
        return number
    }

    /// A number of seconds within `range` (fractions allowed).
    func seconds(_ key: String, in range: ClosedRange<Double>) throws(ToolError) -> Double? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let number = value.doubleValue ?? value.intValue.map(Double.init) else {
            throw ToolError("'\(key)' must be a number of seconds")
        }
        guard range.contains(number) else {
            throw ToolError(
                "'\(key)' must be between \(range.lowerBound) and \(range.upperBound) seconds, not \(number)")
        }
        return number
    }

    func bool(_ key: String) throws(ToolError) -> Bool? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw ToolError("'\(key)' must be true or false") }
        return flag
    }

    /// An array of strings (`each`); nil when absent.
    func stringList(_ key: String) throws(ToolError) -> [String]? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let items = value.arrayValue else { throw ToolError("'\(key)' must be an array of strings") }
        return try items.map { item throws(ToolError) in
            guard let text = item.stringValue else { throw ToolError("'\(key)' must be an array of strings") }
            return text
        }
    }

    /// An object of string values (`env`).
    func stringMap(_ key: String) throws(ToolError) -> [(key: String, value: String)] {
        guard let value = values[key], !value.isNull else { return [] }
        guard let object = value.objectValue else { throw ToolError("'\(key)' must be an object of strings") }
        return try object.sorted { $0.key < $1.key }.map { entry throws(ToolError) in
            guard let text = entry.value.stringValue else { throw ToolError("'\(key).\(entry.key)' must be a string") }
            return (entry.key, text)
        }
    }
}

/// A tool call that cannot be carried out, answered as a tool error with this message.
struct ToolError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
