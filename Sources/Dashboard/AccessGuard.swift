import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// Who may use the dashboard: a page on this machine that knows the token.
///
/// - The token: in the URL p prints (`?token=`), which the page's first answer turns into a
///   cookie (`HttpOnly`, `SameSite=Strict`) so that the rest of its requests need not carry
///   it; a request with neither, or a wrong one, is refused (403).
/// - `Host` must be `127.0.0.1` or `localhost` with the server's port: a page of another site
///   whose name was made to resolve to 127.0.0.1 (DNS rebinding) sends its own name.
/// - `Origin`, when a browser sends one, must be the dashboard's own.
/// - A POST (stop, pause, resume) must carry the page's CSRF token in `X-CSRF-Token`, a
///   header no other site can make a browser send here.
struct AccessGuard<Context: RequestContext>: RouterMiddleware {
    static var cookieName: String { "p-ui-token" }
    static var csrfHeader: HTTPField.Name { HTTPField.Name("X-CSRF-Token")! }

    let token: String
    let csrfToken: String
    /// The port the server listens on, once it does.
    let port: BoundPort

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if let refusal = refusal(of: request) { return Self.refuse(refusal) }
        var response = try await next(request, context)
        if request.uri.queryParameters["token"] != nil {
            response.setCookie(
                Cookie(name: Self.cookieName, value: token, path: "/", httpOnly: true, sameSite: .strict))
        }
        response.headers[.contentSecurityPolicy] =
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    /// Why `request` is refused, or nil.
    func refusal(of request: Request) -> String? {
        let allowedHosts = port.value.map { ["127.0.0.1:\($0)", "localhost:\($0)"] } ?? []
        guard let host = request.head.authority, allowedHosts.contains(host.lowercased())
        else {
            return "this server answers only to 127.0.0.1 and localhost (Host: \(request.head.authority ?? "none"))"
        }
        if let origin = request.headers[.origin],
            !allowedHosts.contains(where: { "http://" + $0 == origin.lowercased() })
        {
            return "requests from another origin (\(origin)) are refused"
        }
        let given = request.uri.queryParameters["token"].map(String.init) ?? request.cookies[Self.cookieName]?.value
        guard let given, Self.equal(given, token) else {
            return "missing or wrong token: open the URL p ui printed (it ends in ?token=...)"
        }
        if request.method == .post {
            guard let csrf = request.headers[Self.csrfHeader], Self.equal(csrf, csrfToken) else {
                return "missing or wrong X-CSRF-Token"
            }
        }
        return nil
    }

    static func refuse(_ reason: String) -> Response {
        var response = Response(
            status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: "p ui: \(reason)\n")))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// Compares two secrets in a time that does not depend on where they differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// The port a server listens on, set once it does (a port of 0 is chosen by the system).
final class BoundPort: Sendable {
    private let port = Mutex<Int?>(nil)

    var value: Int? { port.withLock { $0 } }

    func set(_ value: Int) { port.withLock { $0 = value } }
}
