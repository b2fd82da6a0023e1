import Admin
import Calls
import Foundation

/// The REST API's calls (`POST/GET/DELETE /api/v1/calls`) and the panel's views of the phones, calls
/// and capacity of a tenant homed on another node, forwarded to it over the cluster's control channel
/// (docs/cluster.md): the request is an operation in headers
/// (`Op` and its values), the home node runs it here as `runForwardedAPI` and answers in fields.
extension NodeLiveStatus {
    func forwardedClickToCall(from: String, to: String, timeoutMilliseconds: Int, home: String, tenant: UUID) async -> ClickToCallResult {
        let headers = [("Op", "click-to-call"), ("From", from), ("To", to), ("TimeoutMs", String(timeoutMilliseconds))]
        switch await calls.homes.forwardAPI(home: home, tenant: tenant, headers: headers) {
        case nil: return .failed("Tenant homed on node \(home)")
        case .timedOut?: return .failed("Forwarded action timed out")
        case .unanswered?: return .failed("Tenant homed on node \(home), which did not answer")
        case .answered(let fields, _)?: return Self.clickToCallResult(fields) ?? .failed("Tenant homed on node \(home), which did not answer")
        }
    }

    /// The calls of the tenant on its home node; nil (503) when it cannot answer.
    func forwardedLiveCalls(home: String, tenant: UUID) async -> [LiveCall]? {
        guard case .answered(let fields, _)? = await calls.homes.forwardAPI(home: home, tenant: tenant, headers: [("Op", "calls")]),
            let json = Self.value("Calls", fields)
        else { return nil }
        return try? JSONDecoder().decode([LiveCall].self, from: Data(json.utf8))
    }

    func forwardedHangUpCall(id: String, home: String, tenant: UUID) async -> [String]? {
        guard
            case .answered(let fields, _)? = await calls.homes.forwardAPI(
                home: home, tenant: tenant, headers: [("Op", "hangup-call"), ("Id", id)]),
            let json = Self.value("Channels", fields)
        else { return nil }
        return try? JSONDecoder().decode([String].self, from: Data(json.utf8))
    }

    var nodeID: String? { cluster?.nodeID }

    /// The panel's and the API's view of the tenant's phones: its home node's registrar (asked over the
    /// control channel when that is another node; this node's when it cannot be asked).
    func homeRegistrations(tenant: UUID) async -> [LiveRegistration] {
        if let home = calls.homes.homeElsewhere(tenant),
            case .answered(let fields, _)? = await calls.homes.forwardAPI(home: home, tenant: tenant, headers: [("Op", "registrations")]),
            let json = Self.value("Registrations", fields),
            let registrations = try? JSONDecoder().decode([LiveRegistration].self, from: Data(json.utf8))
        {
            return registrations
        }
        return await registrations(tenant: tenant)
    }

    func homeActiveCalls(tenant: UUID) async -> Int {
        if let home = calls.homes.homeElsewhere(tenant),
            case .answered(let fields, _)? = await calls.homes.forwardAPI(home: home, tenant: tenant, headers: [("Op", "active-calls")]),
            let count = Self.value("ActiveCalls", fields).flatMap({ Int($0) })
        {
            return count
        }
        return await activeCalls(tenant: tenant)
    }

    /// The tenant's capacity on its home node (its channels and media run there), with this node's
    /// AMI sessions of the tenant (each node counts and limits its own).
    func homeCapacity(tenant: UUID) async -> LiveTenantCapacity? {
        if let home = calls.homes.homeElsewhere(tenant),
            case .answered(let fields, _)? = await calls.homes.forwardAPI(home: home, tenant: tenant, headers: [("Op", "capacity")]),
            let json = Self.value("Capacity", fields),
            var capacity = try? JSONDecoder().decode(LiveTenantCapacity.self, from: Data(json.utf8))
        {
            capacity.amiSessions = bus.sessions(tenant: tenant).count
            return capacity
        }
        return await capacity(tenant: tenant)
    }

    /// Runs a REST operation another node forwarded for `tenant` (homed here): its answer's fields.
    func runForwardedAPI(_ headers: [(String, String)], tenant: UUID) async -> [(String, String)] {
        if let home = calls.homes.homeElsewhere(tenant) { return [("Result", "failed"), ("Message", "Tenant homed on node \(home)")] }
        switch Self.value("Op", headers) {
        case "click-to-call":
            guard let from = Self.value("From", headers), let to = Self.value("To", headers),
                let timeout = Self.value("TimeoutMs", headers).flatMap({ Int($0) })
            else { return [("Result", "failed"), ("Message", "bad forwarded request")] }
            // The origin checked the values; checked again here, where the call runs.
            let input = APICallValues(from: from, to: to, timeout: timeout)
            guard input.valid else { return [("Result", "failed"), ("Message", "bad forwarded request")] }
            return Self.fields(await clickToCallHere(from: from, to: to, timeoutMilliseconds: timeout, tenant: tenant))
        case "calls":
            let json = (try? JSONEncoder().encode(await liveCallsHere(tenant: tenant))) ?? Data("[]".utf8)
            return [("Calls", String(decoding: json, as: UTF8.self))]
        case "registrations":
            let json = (try? JSONEncoder().encode(await registrations(tenant: tenant))) ?? Data("[]".utf8)
            return [("Registrations", String(decoding: json, as: UTF8.self))]
        case "active-calls":
            return [("ActiveCalls", String(await activeCalls(tenant: tenant)))]
        case "capacity":
            guard let capacity = await capacity(tenant: tenant), let json = try? JSONEncoder().encode(capacity) else { return [] }
            return [("Capacity", String(decoding: json, as: UTF8.self))]
        case "hangup-call":
            guard let id = Self.value("Id", headers), (1...150).contains(id.utf8.count) else { return [("Channels", "[]")] }
            let json = (try? JSONEncoder().encode(await hangUpCallHere(id: id, tenant: tenant))) ?? Data("[]".utf8)
            return [("Channels", String(decoding: json, as: UTF8.self))]
        default:
            return [("Result", "failed"), ("Message", "unknown forwarded operation")]
        }
    }

    static func value(_ name: String, _ fields: [(String, String)]) -> String? {
        fields.first { $0.0 == name }?.1
    }

    static func fields(_ result: ClickToCallResult) -> [(String, String)] {
        switch result {
        case .started(let id): return [("Result", "started"), ("Id", id)]
        case .unknownExtension: return [("Result", "unknown-extension")]
        case .unavailable: return [("Result", "unavailable")]
        case .busy(let state): return [("Result", "busy"), ("State", state)]
        case .noRoute: return [("Result", "no-route")]
        case .tenantLimit(let message): return [("Result", "tenant-limit"), ("Message", message)]
        case .failed(let message): return [("Result", "failed"), ("Message", message)]
        }
    }

    static func clickToCallResult(_ fields: [(String, String)]) -> ClickToCallResult? {
        let message = value("Message", fields) ?? ""
        switch value("Result", fields) {
        case "started": return value("Id", fields).map { .started(id: $0) }
        case "unknown-extension": return .unknownExtension
        case "unavailable": return .unavailable
        case "busy": return .busy(deviceState: value("State", fields) ?? "")
        case "no-route": return .noRoute
        case "tenant-limit": return .tenantLimit(message)
        case "failed": return .failed(message)
        default: return nil
        }
    }
}

/// A forwarded click-to-call's values, checked as the REST API checks them.
struct APICallValues {
    var from: String
    var to: String
    var timeout: Int

    var valid: Bool {
        (1...20).contains(from.utf8.count) && from.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
            && (1...33).contains(to.utf8.count)
            && to.utf8.enumerated().allSatisfy { index, byte in
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "#")
                    || (index == 0 && byte == UInt8(ascii: "+"))
            }
            && (1000...300_000).contains(timeout)
    }
}
