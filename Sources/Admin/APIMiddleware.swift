import Foundation
import Hummingbird
import NIOCore
import Store

/// Guards `/api/v1`: a request without a valid `Authorization: Bearer` token gets 401 with a JSON
/// error (never a redirect), and every error thrown by a handler becomes the API's JSON error shape.
struct APIMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let app: AdminApp

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = await app.apiPrincipal(request) else {
            return Reply.jsonError(
                .unauthorized, code: "unauthenticated",
                message: "send a valid API token as 'Authorization: Bearer <token>' (create one on the panel's API tokens page)")
        }
        var context = context
        context.principal = principal
        do {
            return try await next(request, context)
        } catch let error as AdminStoreError {
            return Reply.jsonError(error)
        } catch is NIOTooManyBytesError {
            return BodyLimitMiddleware.tooLarge(request, limit: app.configuration.maximumBodySize)
        } catch let error as HTTPError {
            // Hummingbird's `decode` turns a malformed body into 400 with what was wrong.
            return Reply.jsonError(error.status, code: Self.code(of: error.status), message: error.body ?? error.status.reasonPhrase)
        } catch is DecodingError {
            return Reply.jsonError(.badRequest, code: "bad_request", message: Self.malformedBody)
        } catch let error as any HTTPResponseError {
            return Reply.jsonError(error.status, code: Self.code(of: error.status), message: error.status.reasonPhrase)
        } catch {
            app.logger.error("API request failed", metadata: ["error": "\(error)"])
            return Reply.jsonError(.internalServerError, code: "internal", message: "internal error")
        }
    }

    static let malformedBody = "the body is not the JSON object this endpoint expects (see /api/v1/openapi.json)"

    static func code(of status: HTTPResponse.Status) -> String {
        switch status {
        case .badRequest: return "bad_request"
        case .notFound: return "not_found"
        case .contentTooLarge: return "too_large"
        default: return "http_error"
        }
    }
}
