import Foundation
import Hummingbird
import Store

/// `/api/v1/calls`: the tenant's calls in progress (list, read, hang up) and click-to-call. A tenant
/// administrator's token acts on its own tenant; the system administrator's names the tenant
/// (`?tenant=<uuid>`, or `"tenant"` in the click-to-call body).
enum APICallRoutes {
    /// A click-to-call body: `{"from": "100", "to": "0391234567", "timeout_ms": 10000}`.
    struct ClickToCallInput: Decodable {
        var from: String
        var to: String
        var timeout_ms: Int?
        var tenant: String?
    }

    /// The answer to a click-to-call: the call's id (`LiveCall.id`) and what was asked.
    struct ClickToCallBody: Encodable {
        var id: String
        var tenant: String
        var from: String
        var to: String
        var timeout_ms: Int
    }

    /// How long the agent's phone may ring before the call is given up (Originate `Timeout`).
    static let timeoutRange = 1000...300_000
    static let defaultTimeout = 30000
    /// `to`: an optional leading `+`, then digits, `*` and `#` (a number with the outbound prefix, or an extension).
    static let maximumNumberLength = 32
    /// A call id is a linkedid (`<seconds>.<counter>`, or an AMI `ChannelId` of at most 150 characters).
    static let maximumIDLength = 150

    static func register(on api: RouterGroup<AdminRequestContext>, app: AdminApp) {
        api.get("/calls") { request, context -> Response in
            let tenant = try await tenant(app, request, context, named: nil)
            guard let calls = await app.live.liveCalls(tenant: tenant) else { return noEngine }
            return Reply.json(calls)
        }
        api.get("/calls/:id") { request, context -> Response in
            let tenant = try await tenant(app, request, context, named: nil)
            let id = try callID(context)
            guard let calls = await app.live.liveCalls(tenant: tenant) else { return noEngine }
            guard let call = calls.first(where: { $0.id == id }) else { return noSuchCall }
            return Reply.json(call)
        }
        api.delete("/calls/:id") { request, context -> Response in
            let tenant = try await tenant(app, request, context, named: nil)
            let id = try callID(context)
            guard let channels = await app.live.hangUpCall(id: id, tenant: tenant) else { return noEngine }
            guard !channels.isEmpty else { return noSuchCall }
            app.logger.notice("call hung up over the API", metadata: ["tenant": "\(tenant)", "call": "\(id)", "channels": "\(channels)"])
            return Response(status: .noContent)
        }
        api.post("/calls") { request, context -> Response in
            let input = try await request.decode(as: ClickToCallInput.self, context: context)
            let tenant = try await tenant(app, request, context, named: input.tenant)
            let timeout = input.timeout_ms ?? defaultTimeout
            if let refusal = refusal(input, timeout: timeout) { return refusal }
            let result = await app.live.clickToCall(from: input.from, to: input.to, timeoutMilliseconds: timeout, tenant: tenant)
            switch result {
            case .started(let id):
                app.logger.notice(
                    "click-to-call over the API",
                    metadata: [
                        "tenant": "\(tenant)", "call": "\(id)", "from": "\(input.from)", "to": "\(input.to)",
                        "by": "\(context.principal?.user.loginName ?? "")",
                    ])
                var response = Reply.json(
                    ClickToCallBody(id: id, tenant: tenant.uuidString.lowercased(), from: input.from, to: input.to, timeout_ms: timeout),
                    status: .created)
                response.headers[.location] = "/api/v1/calls/\(pathComponent(id))"
                return response
            case .unknownExtension:
                return Reply.jsonError(.notFound, code: "unknown_extension", message: "the tenant has no extension \(input.from)", field: "from")
            case .unavailable:
                return Reply.jsonError(
                    .conflict, code: "unavailable", message: "extension \(input.from) has no registered phone", field: "from")
            case .busy(let state):
                return Reply.jsonError(.conflict, code: "busy", message: "extension \(input.from) is busy (\(state))", field: "from")
            case .noRoute:
                return Reply.jsonError(
                    .notFound, code: "unknown_destination",
                    message: "\(input.to) is neither an extension of the tenant nor a number an outbound route accepts", field: "to")
            case .tenantLimit(let message):
                return Reply.jsonError(.tooManyRequests, code: "tenant_limit", message: message)
            case .failed(let message):
                return Reply.jsonError(.serviceUnavailable, code: "originate_failed", message: message)
            }
        }
    }

    static var noEngine: Response {
        Reply.jsonError(.serviceUnavailable, code: "unavailable", message: "this node runs no call engine")
    }

    static var noSuchCall: Response {
        Reply.jsonError(.notFound, code: "not_found", message: "the tenant has no such call in progress")
    }

    /// Why the body's values cannot be a click-to-call (400 with the field), or nil.
    static func refusal(_ input: ClickToCallInput, timeout: Int) -> Response? {
        if !ProvisioningRules.extensionNumber.accepts(input.from) {
            return Reply.jsonError(
                .badRequest, code: "invalid", message: "'from' \(ProvisioningRules.extensionNumber.explanation)", field: "from")
        }
        if !isDialable(input.to) {
            return Reply.jsonError(
                .badRequest, code: "invalid",
                message: "'to' must be 1-\(maximumNumberLength) digits, '*' or '#', with an optional leading '+'", field: "to")
        }
        if !timeoutRange.contains(timeout) {
            return Reply.jsonError(
                .badRequest, code: "invalid",
                message: "'timeout_ms' must be an integer from \(timeoutRange.lowerBound) to \(timeoutRange.upperBound)", field: "timeout_ms")
        }
        return nil
    }

    static func isDialable(_ number: String) -> Bool {
        let digits = number.hasPrefix("+") ? number.utf8.dropFirst() : number.utf8[...]
        return (1...maximumNumberLength).contains(digits.count)
            && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "#") }
    }

    static func callID(_ context: AdminRequestContext) throws -> String {
        guard let id = decodedID(context.parameters.get("id")) else {
            throw HTTPError(.notFound, message: "the tenant has no such call in progress")
        }
        return id
    }

    /// The call id of a path component (percent-decoded: an AMI `ChannelId` may hold any character),
    /// nil when it cannot be one.
    static func decodedID(_ component: String?) -> String? {
        guard let component, let id = component.removingPercentEncoding, (1...maximumIDLength).contains(id.utf8.count) else { return nil }
        return id
    }

    /// `id` as one path component.
    static func pathComponent(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: unreserved) ?? id
    }

    /// RFC 3986's unreserved characters: a linkedid (`<seconds>.<counter>`) stays as it is.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    /// The tenant a request acts on: a tenant token's own (naming another is 403), or the one the
    /// system administrator names with `?tenant=` or `named` (400 without one, 404 when unknown).
    static func tenant(_ app: AdminApp, _ request: Request, _ context: AdminRequestContext, named: String?) async throws -> UUID {
        guard let tenant = try await APIRoutes.namedTenant(app, request, context, named: named) else {
            throw HTTPError(.badRequest, message: "a system administrator's token must name the tenant: ?tenant=<uuid> (or \"tenant\" in the body)")
        }
        return tenant
    }
}
