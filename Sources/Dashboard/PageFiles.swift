import Foundation

/// The page's files, built into the program (`Page/`, embedded by SwiftPM): p serves
/// everything itself, so the page works with no network and no CDN.
enum PageFiles {
    /// `index.html`, with the page's CSRF token in its `<meta name="csrf-token">`.
    static func index(csrfToken: String) -> [UInt8] {
        let text = String(decoding: PackageResources.index_html, as: UTF8.self)
        return Array(text.replacingOccurrences(of: "{{csrf-token}}", with: csrfToken).utf8)
    }

    static var script: [UInt8] { PackageResources.app_js }
    static var style: [UInt8] { PackageResources.app_css }
}
