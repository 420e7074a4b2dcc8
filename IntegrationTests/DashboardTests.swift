import Foundation
import Testing

@testable import RemoteJobs

/// `p ui` in a real headless browser (chromium through chromedriver) over a real sshd world,
/// and its access rules byte for byte over TCP.
@Suite("p ui", .timeLimit(.minutes(10)), .throttled)
struct DashboardTests {
    /// A running `p ui` of `world`: its URL, token and port.
    struct Server {
        let process: PProcess
        let url: String
        let port: Int
        let token: String

        static func start(_ world: JobWorld, interval: String = "5s") async throws -> Server {
            let process = try world.start("ui", "--port", "0", "--interval", interval)
            try await process.waitForOutput("?token=")
            let output = String(decoding: process.stdoutSoFar, as: UTF8.self)
            let url = try #require(
                output.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init).first {
                    $0.hasPrefix("http://")
                }?
                .trimmingCharacters(in: .whitespacesAndNewlines), "\(output)")
            let port = try #require(Int(url.split(separator: ":")[2].prefix { $0.isNumber }), "\(url)")
            let token = try #require(url.components(separatedBy: "token=").last, "\(url)")
            return Server(process: process, url: url, port: port, token: token)
        }

        /// Ctrl+C; returns p ui's exit status and output.
        func stop() async throws -> PProcess.Result {
            process.signal(SIGINT)
            return try await process.wait(timeout: .seconds(20))
        }
    }

    @Test func thePageShowsWorkersAndJobsLiveFollowsALogAndStopsAJob() async throws {
        let world = try await JobWorld.make()
        _ = try await world.p("worker", "set", "box", "--label", "gpu", "--slots", "4")
        let failed = try await world.p("-n", "--", "echo before the page; exit 3")
        #expect(failed.status == 3)
        let failedID = try #require(world.records.loadAll().records.first?.id)
        let server = try await Server.start(world, interval: "1s")
        let browser = try await startBrowser(stoppingOnFailure: server)
        do {
            try await browser.open(server.url)
            // The worker, measured and reachable, with its label and slots; the job before.
            try await browser.waitFor("article[data-worker='box'] [data-reachable='true']")
            let card = try #require(try await browser.text("article[data-worker='box']"))
            #expect(card.contains("gpu") && card.contains("of 4 slots used") && card.contains("CPUs"), "\(card)")
            try await browser.waitFor("tr[data-job='\(failedID)'][data-status='failed']")
            #expect(try await browser.text("tr[data-job='\(failedID)'] .status") == "failed [3]")

            // A job started from the CLI appears, running, without a reload.
            let started = try await world.p(
                "-d", "--", "for i in $(seq 1 3000); do echo line-$i; sleep 0.1; done")
            let id = started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            try await browser.waitFor("tr[data-job='\(id)'][data-status='running']")

            // Its page: the command, and the log growing as the job writes.
            try await browser.click("tr[data-job='\(id)'] a")
            try await browser.waitFor("#job-status[data-status='running']")
            let details = try #require(try await browser.text("#job-details"))
            #expect(details.contains("for i in $(seq 1 3000)") && details.contains("box"), "\(details)")
            let early = try await browser.waitForText("#log") { $0.contains("line-3\n") }
            let lastEarly = early.split(separator: "\n").last.map(String.init) ?? ""
            let later = try await browser.waitForText("#log") { $0.count > early.count + 40 }
            #expect(later.hasPrefix(early), "the log only grows")
            #expect(later.contains(lastEarly + "\n"))
            let lines = later.split(separator: "\n")
            #expect(
                lines.dropLast().enumerated().allSatisfy { $0.element == "line-\($0.offset + 1)" },
                "every line once, in order: \(lines.prefix(20))")

            // The screenshot for the README (and a narrow window, as on a phone).
            try await browser.open(server.url.replacingOccurrences(of: "?token=\(server.token)", with: "#/"))
            try await browser.waitFor("tr[data-job='\(id)'][data-status='running']")
            // A few measurements, so that the plots show lines.
            try await browser.waitUntil(
                "six measurements of box",
                "const card = document.querySelector(\"article[data-worker='box']\"); return card != null && Number(card.dataset.samples) >= 6;"
            )
            #expect(try await browser.text("article[data-worker='box']")?.contains("1 of 4 slots used") == true)
            try saveArtifact(try await browser.screenshot(), as: "p-ui.png")
            try await browser.resize(width: 420, height: 900)
            try await browser.waitFor("article[data-worker='box']")
            #expect(
                try await browser.run("return document.querySelector('th.cwd').offsetParent === null;") as? Bool == true
            )
            try saveArtifact(try await browser.screenshot(), as: "p-ui-narrow.png")
            try await browser.resize(width: 1280, height: 900)

            // Stop, from the job's page: the status changes there and in p's record.
            try await browser.open(server.url.replacingOccurrences(of: "?token=\(server.token)", with: "#/job/\(id)"))
            try await browser.waitFor("#job-status[data-status='running']")
            try await browser.click("#stop")
            try await browser.waitFor("#job-status[data-status='stopped']")
            #expect(try world.records.load(id)?.status.name == "stopped")
            try await browser.waitForText("#log-state") { $0.contains("ended") }
            #expect(try await browser.run("return document.getElementById('stop').disabled;") as? Bool == true)
        } catch {
            await browser.close()
            _ = try? await server.stop()
            throw error
        }
        await browser.close()
        let stopped = try await server.stop()
        #expect(stopped.status == 0 && stopped.stdoutText.contains("p ui: stopped"), "\(stopped.stderr)")
    }

    @Test func arraysAreGroupedFiltersNarrowTheListAndACappedLogShowsItsGap() async throws {
        let world = try await JobWorld.makeWithUnreachableWorker()
        _ = try await world.p("worker", "set", "box", "--slots", "4")
        let array = try JobWorld.id(
            try await world.p("-n", "-d", "--array", "1-3", "--", "test {} != 2"))
        let capped = try JobWorld.id(
            try await world.p(
                "-n", "-d", "--max-log", "64K", "--",
                "echo BEGIN; yes 0123456789abcdef | head -c 200000; echo; echo END"
            ))
        _ = try await world.p("wait", array)
        _ = try await world.p("wait", capped)
        let server = try await Server.start(world)
        let browser = try await startBrowser(stoppingOnFailure: server)
        do {
            try await browser.open(server.url)
            // A worker that does not answer says so, and why.
            try await browser.waitFor("article[data-worker='gone'] [data-reachable='false']")
            let gone = try #require(try await browser.text("article[data-worker='gone']"))
            #expect(gone.contains("unreachable"), "\(gone)")
            // The array is one row, its elements counted by status; opened, its three elements.
            let row = "tr.array[data-array='\(array)']"
            try await browser.waitFor(row)
            #expect(try await browser.text("\(row) .status") == "2 done, 1 failed")
            #expect(try await browser.count("tr.element") == 0)
            try await browser.click("\(row) button[data-toggle]")
            try await browser.waitFor("tr.element[data-status='failed']")
            #expect(try await browser.count("tr.element") == 3)

            // A filter by status: the failed element alone, in its array's row.
            _ = try await browser.run(
                "const s = document.getElementById('filter-status'); s.value = 'failed'; s.dispatchEvent(new Event('input'));"
            )
            try await browser.waitForText("\(row) .status") { $0 == "1 failed" }
            #expect(try await browser.count("tr[data-job='\(capped)']") == 0)
            #expect(try await browser.count("tr.element") == 1)

            // The capped log: its beginning, the gap said as such, its end.
            try await browser.open(
                server.url.replacingOccurrences(of: "?token=\(server.token)", with: "#/job/\(capped)"))
            let log = try await browser.waitForText("#log") { $0.contains("END") }
            #expect(log.hasPrefix("BEGIN\n0123456789abcdef"), "\(log.prefix(100))")
            #expect(log.contains("dropped by the log's cap"), "\(log.count) characters")
            #expect(log.count < 80_000, "only what the cap kept: \(log.count) characters")
        } catch {
            await browser.close()
            _ = try? await server.stop()
            throw error
        }
        await browser.close()
        _ = try await server.stop()
    }

    @Test func requestsWithoutTheTokenFromAnotherSiteOrHostAreRefused() async throws {
        let world = try await JobWorld.make()
        let started = try await world.p("-d", "--", "sleep 300")
        let id = started.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await Server.start(world)
        do {
            let port = server.port
            let token = server.token
            // No token, a wrong one, a token in a cookie of another value.
            #expect(try await RawHTTP.request(port: port, "GET", "/").status == 403)
            #expect(try await RawHTTP.request(port: port, "GET", "/api/state").status == 403)
            let wrong = token.dropLast() + (token.hasSuffix("0") ? "1" : "0")
            #expect(try await RawHTTP.request(port: port, "GET", "/?token=\(wrong)").status == 403)
            #expect(
                try await RawHTTP.request(port: port, "GET", "/api/state", headers: ["Cookie": "p-ui-token=nope"])
                    .status
                    == 403)
            // Another host name (DNS rebinding) or another site's page, even with the token.
            let rebound = try await RawHTTP.request(
                port: port, "GET", "/?token=\(token)", host: "attacker.example:\(port)")
            #expect(rebound.status == 403 && rebound.body.contains("127.0.0.1"), "\(rebound.body)")
            let foreign = try await RawHTTP.request(
                port: port, "GET", "/api/state?token=\(token)", headers: ["Origin": "http://attacker.example"])
            #expect(foreign.status == 403)
            // A POST without the page's CSRF token leaves the job running.
            let forged = try await RawHTTP.request(
                port: port, "POST", "/api/jobs/\(id)/stop", headers: ["Cookie": "p-ui-token=\(token)"])
            #expect(forged.status == 403 && forged.body.contains("CSRF"), "\(forged.body)")
            #expect(try world.records.load(id)?.status.name == "running")

            // With the token: the page, a cookie that carries it, and the CSRF token in the page.
            let page = try await RawHTTP.request(port: port, "GET", "/?token=\(token)")
            #expect(page.status == 200)
            let cookie = try #require(page.headers["set-cookie"])
            #expect(
                cookie.contains("p-ui-token=\(token)") && cookie.contains("HttpOnly")
                    && cookie.contains("SameSite=Strict"))
            #expect(page.headers["content-security-policy"]?.contains("default-src 'none'") == true)
            let csrf = try #require(
                page.body.components(separatedBy: "name=\"csrf-token\" content=\"").dropFirst().first?.prefix {
                    $0 != "\""
                })
            let state = try await RawHTTP.request(
                port: port, "GET", "/api/state", headers: ["Cookie": "p-ui-token=\(token)"], host: "localhost:\(port)")
            #expect(state.status == 200 && state.body.contains(id), "\(state.body.prefix(300))")
            let unknown = try await RawHTTP.request(
                port: port, "POST", "/api/jobs/ffffffff/pause",
                headers: ["Cookie": "p-ui-token=\(token)", "X-CSRF-Token": String(csrf)])
            #expect(unknown.status == 404 && unknown.body.contains("error"), "\(unknown.body)")
            let stop = try await RawHTTP.request(
                port: port, "POST", "/api/jobs/\(id)/stop",
                headers: [
                    "Cookie": "p-ui-token=\(token)", "X-CSRF-Token": String(csrf), "Origin": "http://127.0.0.1:\(port)",
                ])
            #expect(stop.status == 200 && stop.body.contains("\"status\":\"stopped\""), "\(stop.body)")
            #expect(try world.records.load(id)?.status.name == "stopped")
        } catch {
            _ = try? await server.stop()
            throw error
        }
        let stopped = try await server.stop()
        #expect(stopped.status == 0)
    }

    @Test func aBusyPortIsSaidClearly() async throws {
        let world = try await JobWorld.make(register: false)
        let first = try await Server.start(world)
        let second = try await world.p("ui", "--port", String(first.port))
        #expect(second.status == 1 && second.stderr.contains("port \(first.port) is in use"), "\(second.stderr)")
        _ = try await first.stop()

        // Without --port, p's default (8787) is taken if free, and a free one if it is not:
        // held here (or already held by something else, which makes it as busy).
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = TestSSHD.loopback(port: 8787)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 && listen(holder, 1) == 0
            }
        }
        let fallback = try world.start("ui")
        try await fallback.waitForOutput("?token=")
        #expect(fallback.stderrSoFar.contains("port 8787 is in use; taking a free one"), "\(fallback.stderrSoFar)")
        #expect(!String(decoding: fallback.stdoutSoFar, as: UTF8.self).contains("127.0.0.1:8787/"))
        fallback.signal(SIGINT)
        #expect(try await fallback.wait(timeout: .seconds(20)).status == 0)
    }

    /// A browser; should none start, `server` is stopped before the test fails (a test ends
    /// the processes it started).
    private func startBrowser(stoppingOnFailure server: Server) async throws -> WebDriver {
        do {
            return try await WebDriver.start()
        } catch {
            _ = try? await server.stop()
            throw error
        }
    }

    /// Keeps `data` where CI keeps test artifacts (`P_TEST_ARTIFACTS`, else the temporary
    /// directory's `p-test-artifacts`), and says where.
    private func saveArtifact(_ data: Data, as name: String) throws {
        let directory =
            ProcessInfo.processInfo.environment["P_TEST_ARTIFACTS"] ?? NSTemporaryDirectory() + "p-test-artifacts"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: directory + "/" + name))
        print("p ui test: kept \(directory)/\(name) (\(data.count) bytes)")
    }
}
