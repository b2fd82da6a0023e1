import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// A browser-like client for in-process tests: keeps the cookies, logs in, posts forms with the
/// page's CSRF token.
final class PanelSession: @unchecked Sendable {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    var csrf = ""

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    struct Page {
        let status: HTTPResponse.Status
        let body: String
        let headers: HTTPFields
        var location: String? { headers[.location] }
    }

    func get(_ uri: String, headers extra: HTTPFields = [:]) async throws -> Page {
        try await send(uri, method: .get, body: nil, headers: extra)
    }

    /// Posts a form; adds this session's CSRF token unless `csrf` is false.
    func post(_ uri: String, _ fields: [(String, String)], csrf withToken: Bool = true, headers extra: HTTPFields = [:]) async throws -> Page {
        var all = fields
        if withToken { all.append(("_csrf", csrf)) }
        let body = all.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = extra
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await send(uri, method: .post, body: body, headers: headers)
    }

    /// Logs in through the login form; returns the login response.
    @discardableResult
    func login(_ username: String, _ password: String, headers: HTTPFields = [:]) async throws -> Page {
        let form = try await get("/", headers: headers)
        csrf = Self.csrfToken(in: form.body) ?? ""
        let page = try await post("/login", [("username", username), ("password", password)], headers: headers)
        if let location = page.location, page.status == .seeOther {
            let landing = try await get(location)
            if let token = Self.csrfToken(in: landing.body) { csrf = token }
        }
        return page
    }

    private func send(_ uri: String, method: HTTPRequest.Method, body: String?, headers extra: HTTPFields) async throws -> Page {
        var headers = extra
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }
        let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(pair[0])
            let cookieValue = pair.count > 1 ? String(pair[1]) : ""
            if cookieValue.isEmpty || value.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = cookieValue }
        }
        return Page(status: response.status, body: String(buffer: response.body), headers: response.headers)
    }

    static func csrfToken(in html: String) -> String? {
        guard let range = html.range(of: "name=\"_csrf\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
