import Hummingbird
import NIOCore

/// Refuses request bodies over the configured limit (`--http-max-body-bytes`) with 413, before a
/// handler reads them: at once when `Content-Length` says so, and as soon as a chunked body grows
/// past it while being read. API paths get the API's JSON error, the panel plain text.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext

    /// The panel's forms and the API's JSON bodies are small (a tenant, an extension, an ACL);
    /// 64 KiB is far above any of them (issue 9: "a JSON body over 64 KiB answers 413").
    static let defaultMaximumBodySize = 64 * 1024
    /// The largest limit the flag accepts; also the request context's own ceiling.
    static let maximumConfigurableBodySize = 16 * 1024 * 1024

    let limit: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let declared = request.headers[.contentLength], let length = Int(declared), length > limit {
            return Self.tooLarge(request, limit: limit)
        }
        var request = request
        request.body = RequestBody(asyncSequence: LimitedRequestBody(base: request.body, limit: limit))
        do {
            return try await next(request, context)
        } catch is NIOTooManyBytesError {
            return Self.tooLarge(request, limit: limit)
        }
    }

    static func tooLarge(_ request: Request, limit: Int) -> Response {
        let size = limit % 1024 == 0 ? "\(limit / 1024) KiB" : "\(limit) bytes"
        let message = "the request body is larger than \(size)"
        if request.uri.path.hasPrefix("/api/") {
            return Reply.jsonError(.contentTooLarge, code: "too_large", message: message)
        }
        return Reply.text(message + "\n", status: .contentTooLarge)
    }
}

/// A request body that throws `NIOTooManyBytesError` once more than `limit` bytes have arrived.
struct LimitedRequestBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let limit: Int
        var received = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            received += buffer.readableBytes
            if received > limit { throw NIOTooManyBytesError(maxBytes: limit) }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), limit: limit)
    }
}
