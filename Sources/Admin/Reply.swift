import Foundation
import Hummingbird
import Store

/// Builders of the responses the app sends: HTML pages, redirects, JSON and plain text.
enum Reply {
    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// 303 See Other: after a POST, the browser GETs `location`.
    static func redirect(_ location: String, cookies: [Cookie] = []) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        for cookie in cookies { headers.append(HTTPFields.Element(name: .setCookie, value: cookie.description)) }
        return Response(status: .seeOther, headers: headers)
    }

    static func text(_ body: String, contentType: String = "text/plain; charset=utf-8", status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The API's error shape: `{"error": {"code": …, "field": …, "message": …}}`.
    static func jsonError(_ status: HTTPResponse.Status, code: String, message: String, field: String? = nil) -> Response {
        var response = json(APIModel.ErrorBody(error: .init(code: code, field: field, message: message)), status: status)
        if status == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer realm=\"centralino\"" }
        return response
    }

    /// Maps a store refusal to its HTTP status and the API's error shape.
    static func jsonError(_ error: AdminStoreError) -> Response {
        jsonError(status(of: error), code: code(of: error), message: error.message, field: error.field)
    }

    static func status(of error: AdminStoreError) -> HTTPResponse.Status {
        switch error.kind {
        case .invalid: return .unprocessableContent
        case .notFound: return .notFound
        case .conflict: return .conflict
        }
    }

    static func code(of error: AdminStoreError) -> String {
        switch error.kind {
        case .invalid: return "invalid"
        case .notFound: return "not_found"
        case .conflict: return "conflict"
        }
    }
}
