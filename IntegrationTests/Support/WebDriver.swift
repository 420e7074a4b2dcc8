import Foundation
import Testing

/// A real headless browser for the dashboard's tests: Debian's chromium, driven through
/// chromedriver's W3C WebDriver HTTP interface (nothing downloaded; the test starts the
/// driver and ends it by pid).
final class WebDriver: @unchecked Sendable {
    static let browserPath = "/usr/bin/chromium"
    static let driverPath = "/usr/bin/chromedriver"

    // Immutable after `start`.
    private let driver: PProcess
    /// chromedriver's port.
    private let base: Int
    private let session: String
    private let profile: String

    private init(driver: PProcess, base: Int, session: String, profile: String) {
        self.driver = driver
        self.base = base
        self.session = session
        self.profile = profile
    }

    /// Starts chromedriver on a free port and a headless chromium session of `width` ×
    /// `height` pixels.
    static func start(width: Int = 1280, height: Int = 900) async throws -> WebDriver {
        try Power.browser.require(for: "the dashboard's tests run it in a real browser")
        let port = try TestSSHD.freePort()
        let profile = try TestSSHD.makeTemporaryDirectory()
        let driver = try PProcess(
            ["--port=\(port)", "--allowed-ips=127.0.0.1"], environment: ProcessInfo.processInfo.environment,
            executable: driverPath)
        let base = port
        // The driver answers once it listens.
        let deadline = ContinuousClock.now + .seconds(20)
        var lastFailure = ""
        while true {
            do {
                _ = try await request("GET", base, "/status")
                break
            } catch {
                lastFailure = "\(error)"
            }
            guard ContinuousClock.now < deadline else {
                driver.signal(SIGTERM)
                throw TestFailure(
                    "chromedriver did not answer on port \(port) (\(lastFailure)): \(driver.stderrSoFar) \(String(decoding: driver.stdoutSoFar, as: UTF8.self))"
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--window-size=\(width),\(height)", "--user-data-dir=\(profile)",
        ]
        let answer = try await request(
            "POST", base, "/session",
            [
                "capabilities": [
                    "alwaysMatch": [
                        "browserName": "chrome",
                        "goog:chromeOptions": ["binary": browserPath, "args": arguments],
                    ]
                ]
            ])
        guard let value = answer["value"] as? [String: Any], let session = value["sessionId"] as? String else {
            driver.signal(SIGTERM)
            throw TestFailure("chromedriver made no session: \(answer)")
        }
        return WebDriver(driver: driver, base: base, session: session, profile: profile)
    }

    /// Ends the session and the driver (which ends its browser).
    func close() async {
        _ = try? await Self.request("DELETE", base, "/session/\(session)")
        driver.signal(SIGTERM)
        _ = try? await driver.wait(timeout: .seconds(20))
        try? FileManager.default.removeItem(atPath: profile)
    }

    /// Opens `url`.
    func open(_ url: String) async throws {
        _ = try await command("POST", "/url", ["url": url])
    }

    /// The page's text of the first element `css` selects, or nil when none does.
    func text(_ css: String) async throws -> String? {
        try await run("const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", [css])
            as? String
    }

    /// How many elements `css` selects.
    func count(_ css: String) async throws -> Int {
        (try await run("return document.querySelectorAll(arguments[0]).length;", [css]) as? Int) ?? 0
    }

    /// Waits until `css` selects an element; fails after `timeout` with what the page shows.
    func waitFor(_ css: String, timeout: Duration = .seconds(20)) async throws {
        try await eventually("\(css) is on the page", timeout: timeout) { try await count(css) > 0 }
    }

    /// Waits until `script` (a function body run in the page) returns true.
    func waitUntil(_ what: String, _ script: String, timeout: Duration = .seconds(20)) async throws {
        try await eventually(what, timeout: timeout) { try await run(script) as? Bool == true }
    }

    /// Waits until the text of `css` satisfies `condition`; returns it.
    @discardableResult
    func waitForText(_ css: String, timeout: Duration = .seconds(20), _ condition: (String) -> Bool) async throws
        -> String
    {
        var text = ""
        try await eventually("the text of \(css) is what the test waits for", timeout: timeout) {
            text = try await self.text(css) ?? ""
            return condition(text)
        }
        return text
    }

    /// `JobWorld.eventually`, saying what the page shows when the wait ends in failure.
    private func eventually(_ what: String, timeout: Duration, _ condition: () async throws -> Bool) async throws {
        do {
            try await JobWorld.eventually(what, timeout: timeout, condition)
        } catch let failure as TestFailure {
            let body = (try? await text("body")) ?? "?"
            throw TestFailure("\(failure) (within \(timeout)); the page says: \(body.prefix(2000))")
        }
    }

    /// Clicks the first element `css` selects, as a user would (WebDriver's element click).
    /// An element the page replaced between finding and clicking (a live page re-renders
    /// as events arrive) is found again.
    func click(_ css: String) async throws {
        var attempts = 0
        while true {
            let found = try await command("POST", "/element", ["using": "css selector", "value": css])
            guard let element = found["value"] as? [String: Any], let id = element.values.first as? String else {
                throw TestFailure("no \(css) to click: \(found)")
            }
            do {
                _ = try await command("POST", "/element/\(id)/click", [:])
                return
            } catch let failure as TestFailure where failure.description.contains("stale element") && attempts < 5 {
                attempts += 1
            }
        }
    }

    /// Runs `script` in the page (a function body; `arguments` are its arguments).
    func run(_ script: String, _ arguments: [Any] = []) async throws -> Any? {
        let answer = try await command("POST", "/execute/sync", ["script": script, "args": arguments])
        let value = answer["value"]
        return value is NSNull ? nil : value
    }

    /// Resizes the window (a narrow one shows the phone layout).
    func resize(width: Int, height: Int) async throws {
        _ = try await command("POST", "/window/rect", ["width": width, "height": height])
    }

    /// A PNG of the window as it shows now.
    func screenshot() async throws -> Data {
        let answer = try await command("GET", "/screenshot", nil)
        guard let text = answer["value"] as? String, let data = Data(base64Encoded: text) else {
            throw TestFailure("no screenshot: \(answer)")
        }
        return data
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]?) async throws -> [String: Any] {
        let answer = try await Self.request(method, base, "/session/\(session)\(path)", body)
        if let value = answer["value"] as? [String: Any], let error = value["error"] as? String {
            throw TestFailure("WebDriver \(method) \(path): \(error): \(value["message"] ?? "")")
        }
        return answer
    }

    private static func request(_ method: String, _ port: Int, _ path: String, _ body: [String: Any]? = nil)
        async throws -> [String: Any]
    {
        let bytes = try body.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) } ?? []
        let answer = try await RawHTTP.request(
            port: port, method, path, headers: body == nil ? [:] : ["Content-Type": "application/json"], body: bytes)
        return (try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]) ?? [:]
    }
}
