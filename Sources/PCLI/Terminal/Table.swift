/// A plain-text table fitted to a width, like `docker ps`: columns separated by three
/// spaces; when the table is too wide, the flexible columns shrink (never below their
/// minimum) and long values are cut with an ellipsis.
struct Table {
    struct Column {
        var title: String
        /// Whether this column gives up width when the table is too wide.
        var flexible: Bool = false
        /// The narrowest a flexible column gets.
        var minimum: Int = 8
        /// The widest it gets, whatever the width (nil: as wide as its values): one long
        /// value must not pad every row of the table.
        var maximum: Int? = nil
    }

    var columns: [Column]
    var rows: [[String]]

    static let separator = "   "

    /// The lines of the table, header first, each at most `width` characters where the
    /// minimums allow (nil width: no limit).
    func render(width: Int?) -> [String] {
        let lines = [columns.map(\.title)] + rows
        // Character counts are O(n) on String: take each once.
        let counts = lines.map { $0.map(\.count) }
        var widths = columns.indices.map { index in
            min(counts.map { $0[index] }.max() ?? 0, columns[index].maximum ?? .max)
        }
        if let width {
            var excess = widths.reduce(0, +) + Self.separator.count * (columns.count - 1) - width
            // Shrink the widest flexible column first, down to the next widest or its minimum.
            while excess > 0 {
                let candidates = columns.indices.filter { columns[$0].flexible && widths[$0] > columns[$0].minimum }
                guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { break }
                let others = candidates.filter { $0 != widest }.map { widths[$0] }.max() ?? columns[widest].minimum
                let cut = min(excess, max(1, widths[widest] - max(others, columns[widest].minimum)))
                widths[widest] -= cut
                excess -= cut
            }
        }
        let padding = String(repeating: " ", count: (widths.max() ?? 0) + Self.separator.count)
        return zip(lines, counts).map { cells, lengths in
            var line = ""
            var pendingSpaces = 0
            for index in cells.indices {
                let fitted =
                    lengths[index] > widths[index] ? Self.fit(cells[index], width: widths[index]) : cells[index]
                let length = min(lengths[index], widths[index])
                if length > 0 {
                    line += padding.prefix(pendingSpaces)
                    line += fitted
                    pendingSpaces = 0
                }
                // Spaces are written only before a following non-empty cell: no trailing blanks.
                pendingSpaces += widths[index] - length + Self.separator.count
            }
            return line
        }
    }

    /// `text` cut to `width` characters, ending with `…` when it was longer.
    static func fit(_ text: String, width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }
}
