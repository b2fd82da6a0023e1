import NIOCore

/// A request or a response.
public enum SIPMessage: Sendable, Hashable {
    case request(SIPRequest)
    case response(SIPResponse)

    public var headers: SIPHeaders {
        switch self {
        case .request(let request): return request.headers
        case .response(let response): return response.headers
        }
    }

    public var body: ByteBuffer {
        switch self {
        case .request(let request): return request.body
        case .response(let response): return response.body
        }
    }

    public var request: SIPRequest? {
        if case .request(let request) = self { return request }
        return nil
    }

    public var response: SIPResponse? {
        if case .response(let response) = self { return response }
        return nil
    }
}
