import Hummingbird
import NIOCore

/// Refuses request bodies over `maximumBodySize` with 413, before a handler reads them: at once
/// when `Content-Length` says so, and when a chunked body grows past it while being read. API
/// paths get the API's JSON error, the panel plain text.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    /// The panel's forms and the API's JSON bodies are small (a tenant, an extension, an ACL);
    /// 64 KiB is far above any of them (issue 9: "a JSON body over 64 KiB answers 413").
    static let maximumBodySize = 64 * 1024

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength], let length = Int(declared), length > Self.maximumBodySize {
            return Self.tooLarge(request)
        }
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            return Self.tooLarge(request)
        }
    }

    static func tooLarge(_ request: Request) -> Response {
        let message = "the request body is larger than \(maximumBodySize / 1024) KiB"
        if request.uri.path.hasPrefix("/api/") {
            return Reply.jsonError(.contentTooLarge, code: "too_large", message: message)
        }
        return Reply.text(message + "\n", status: .contentTooLarge)
    }
}
