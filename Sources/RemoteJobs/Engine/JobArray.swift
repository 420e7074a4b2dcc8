/// The elements of a job array (`--array 1-50%4`, `--each a b c`): one job per element, each
/// with the command's `{}` replaced by the element's value and `P_ARRAY_INDEX` set, at most
/// `cap` of them running at once across the workers.
public struct JobArray: Sendable, Equatable {
    /// One element: its index (`P_ARRAY_INDEX`, what `ARRAY:INDEX` names) and its value
    /// (what `{}` becomes).
    public struct Element: Sendable, Equatable {
        /// The index: the number itself for `--array`, the position from 1 for `--each`.
        public var index: Int
        /// The value: the number for `--array`, the word for `--each`.
        public var value: String

        /// An element.
        public init(index: Int, value: String) {
            self.index = index
            self.value = value
        }
    }

    /// The elements, in the order they start.
    public var elements: [Element]
    /// The most elements running at once across all workers (`%N`); nil for no cap other
    /// than the workers' slots.
    public var cap: Int?

    /// The most elements one array takes: enough for any sweep typed by hand or read from
    /// a file, few enough that a listing of them stays quick.
    public static let maxElements = 10_000

    /// An array of `elements`.
    /// - Throws: `RemoteJobsError.invalidArgument` for none, too many, a repeated index or a
    ///   cap under 1.
    public init(elements: [Element], cap: Int? = nil) throws(RemoteJobsError) {
        guard !elements.isEmpty else { throw .invalidArgument("An array needs at least one element.") }
        guard elements.count <= Self.maxElements else {
            throw .invalidArgument(
                "An array of \(elements.count) elements is more than p takes (\(Self.maxElements)): split it.")
        }
        if let cap, cap < 1 {
            throw .invalidArgument("The cap on an array's running elements (%N) must be at least 1.")
        }
        var seen: Set<Int> = []
        for element in elements where !seen.insert(element.index).inserted {
            throw .invalidArgument("The array names index \(element.index) twice.")
        }
        self.elements = elements
        self.cap = cap
    }

    /// An array as Slurm's `--array` writes it: indices and ranges separated by commas, a
    /// range with an optional step (`1-50`, `0-98:2`, `1,3,7-9`), then an optional `%N`
    /// cap (`1-50%4`).
    /// - Throws: `RemoteJobsError.invalidArgument` saying what is wrong.
    public static func parse(_ spec: String) throws(RemoteJobsError) -> JobArray {
        let parts = spec.split(separator: "%", omittingEmptySubsequences: false)
        guard parts.count <= 2 else { throw invalid(spec, "more than one %") }
        var cap: Int?
        if parts.count == 2 {
            guard let number = Int(parts[1]), number >= 1 else {
                throw invalid(spec, "the cap after % must be a number of at least 1")
            }
            cap = number
        }
        var elements: [Element] = []
        for item in parts[0].split(separator: ",", omittingEmptySubsequences: false) {
            let stepParts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard stepParts.count <= 2 else { throw invalid(spec, "'\(item)' has more than one step") }
            let step = stepParts.count == 2 ? Int(stepParts[1]) : 1
            guard let step, step >= 1 else { throw invalid(spec, "the step in '\(item)' must be at least 1") }
            let bounds = stepParts[0].split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let first = index(bounds[0]),
                let last = bounds.count == 2 ? index(bounds[1]) : first
            else { throw invalid(spec, "'\(item)' is not an index (0, 7) or a range (1-50, 0-98:2)") }
            guard first <= last else { throw invalid(spec, "the range '\(item)' ends before it starts") }
            guard (last - first) / step < maxElements - elements.count else {
                throw invalid(spec, "it names more than \(maxElements) elements")
            }
            for number in stride(from: first, through: last, by: step) {
                elements.append(Element(index: number, value: String(number)))
            }
        }
        return try JobArray(elements: elements, cap: cap)
    }

    /// An array of words (`--each a b c`, `--each-from FILE`): element `i` (from 1) has the
    /// `i`th word as its value.
    public static func each(_ values: [String], cap: Int? = nil) throws(RemoteJobsError) -> JobArray {
        for value in values where value.utf8.contains(0) || value.contains("\n") {
            throw .invalidArgument("An element of --each holds a newline or a NUL byte: \(value.debugDescription).")
        }
        return try JobArray(
            elements: values.enumerated().map { Element(index: $0.offset + 1, value: $0.element) }, cap: cap)
    }

    /// The lines of a file's text as elements (`--each-from FILE`): one per line, blank
    /// lines skipped, a final newline optional, a carriage return before it dropped.
    public static func lines(_ text: String, cap: Int? = nil) throws(RemoteJobsError) -> JobArray {
        // "\r\n" is one Character to Swift: split on both.
        let values = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        return try each(values, cap: cap)
    }

    /// `template` with every `{}` replaced by the element's value, quoted for the shell
    /// when it is not a plain word (as GNU parallel quotes it), so `--each "a b"` is one
    /// argument and `--each "; rm -rf ~"` only ever a word.
    public static func command(_ template: String, for element: Element) -> String {
        template.replacingOccurrences(of: "{}", with: quotedIfNeeded(element.value))
    }

    /// The variables each element gets besides the request's.
    static func environment(for element: Element, arrayID: String) -> [(key: String, value: String)] {
        [("P_ARRAY_ID", arrayID), ("P_ARRAY_INDEX", String(element.index)), ("P_ARRAY_VALUE", element.value)]
    }

    private static func quotedIfNeeded(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                    || "._-+=/:,@%".unicodeScalars.contains($0)
            }
        return plain ? value : ShellQuote.quote(value)
    }

    private static func index(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.allSatisfy(\.isASCII), let number = Int(text), number >= 0, number < 100_000_000
        else { return nil }
        return number
    }

    private static func invalid(_ spec: String, _ why: String) -> RemoteJobsError {
        .invalidArgument("--array '\(spec)': \(why). Examples: 1-50, 1-50%4, 0-98:2, 1,3,7-9.")
    }
}
