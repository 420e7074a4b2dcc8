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
    }

    var columns: [Column]
    var rows: [[String]]

    static let separator = "   "

    /// The lines of the table, header first, each at most `width` characters where the
    /// minimums allow (nil width: no limit).
    func render(width: Int?) -> [String] {
        var widths = columns.indices.map { index in
            ([columns[index].title] + rows.map { $0[index] }).map(\.count).max() ?? 0
        }
        if let width {
            var excess = widths.reduce(0, +) + Self.separator.count * (columns.count - 1) - width
            // Shrink the widest flexible column first, one character at a time in bulk.
            while excess > 0 {
                let candidates = columns.indices.filter { columns[$0].flexible && widths[$0] > columns[$0].minimum }
                guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { break }
                let others = candidates.filter { $0 != widest }.map { widths[$0] }.max() ?? columns[widest].minimum
                let cut = min(excess, max(1, widths[widest] - max(others, columns[widest].minimum)))
                widths[widest] -= cut
                excess -= cut
            }
        }
        return ([columns.map(\.title)] + rows).map { cells in
            var line = ""
            for index in cells.indices {
                let isLast = index == cells.count - 1
                let cell = Self.fit(cells[index], width: widths[index])
                line +=
                    isLast ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) + Self.separator
            }
            return String(line.reversed().drop(while: { $0 == " " }).reversed())
        }
    }

    /// `text` cut to `width` characters, ending with `…` when it was longer.
    static func fit(_ text: String, width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }
}

extension String {
    fileprivate func padding(toLength length: Int, withPad pad: String, startingAt _: Int) -> String {
        count >= length ? self : self + String(repeating: pad, count: length - count)
    }
}
