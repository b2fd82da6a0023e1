import AMI
import AMIServer
import Admin
import Calls
import Foundation
import PBX

/// The tenant's calls for the panel and the REST API: listed, hung up, and placed as the KalliopePBX
/// click-to-call Originate, through the same admission and engine path as an AMI session's.
extension NodeLiveStatus {
    func liveCalls(tenant: UUID) async -> [LiveCall]? {
        if let home = calls.homes.homeElsewhere(tenant) { return await forwardedLiveCalls(home: home, tenant: tenant) }
        return await liveCallsHere(tenant: tenant)
    }

    func liveCallsHere(tenant: UUID) async -> [LiveCall] {
        let summaries = await withCheckedContinuation { continuation in
            calls.calls(tenant: tenant) { continuation.resume(returning: $0) }
        }
        let now = Int(Date().timeIntervalSince1970)
        return summaries.map { call in
            LiveCall(
                id: call.id, from: call.from, to: call.to, state: call.state,
                started: Date(timeIntervalSince1970: Double(call.startedAt)), duration: max(0, now - call.startedAt),
                channels: call.channels.map { LiveCall.Channel(name: $0.name, state: $0.state) })
        }
    }

    func hangUpCall(id: String, tenant: UUID) async -> [String]? {
        if let home = calls.homes.homeElsewhere(tenant) { return await forwardedHangUpCall(id: id, home: home, tenant: tenant) }
        return await hangUpCallHere(id: id, tenant: tenant)
    }

    func hangUpCallHere(id: String, tenant: UUID) async -> [String] {
        await withCheckedContinuation { continuation in
            calls.hangUpCall(id: id, tenant: tenant, cause: .normalClearing) { continuation.resume(returning: $0) }
        }
    }

    func clickToCall(from: String, to: String, timeoutMilliseconds: Int, tenant: UUID) async -> ClickToCallResult {
        if let home = calls.homes.homeElsewhere(tenant) {
            return await forwardedClickToCall(from: from, to: to, timeoutMilliseconds: timeoutMilliseconds, home: home, tenant: tenant)
        }
        return await clickToCallHere(from: from, to: to, timeoutMilliseconds: timeoutMilliseconds, tenant: tenant)
    }

    func clickToCallHere(from: String, to: String, timeoutMilliseconds: Int, tenant: UUID) async -> ClickToCallResult {
        let request: OriginateRequest
        do {
            request = try OriginateRequest.parse(
                Self.clickToCallAction(from: from, to: to, timeoutMilliseconds: timeoutMilliseconds, tenant: tenant),
                writePermissions: [.call, .originate])
        } catch {
            return .failed(error.message)
        }
        // In a cluster a tenant's calls run on its home node only (docs/cluster.md).
        if let home = calls.homes.homeElsewhere(tenant) { return .failed("Tenant homed on node \(home)") }
        let state = await withCheckedContinuation { continuation in
            calls.deviceState(extension: from, tenant: tenant) { continuation.resume(returning: $0) }
        }
        switch state {
        case nil: return .unknownExtension
        case "UNAVAILABLE": return .unavailable
        case "NOT_INUSE": break
        case let busy?: return .busy(deviceState: busy)
        }
        guard calls.extensionExists(tenant: tenant, context: "from_c2c", exten: to, priority: 1) else { return .noRoute }
        if let refusal = calls.admitOriginate(request, tenant: tenant) { return .tenantLimit(refusal.description) }
        let bus = self.bus
        let accepted = DispatchTime.now()
        let id = await withCheckedContinuation { continuation in
            calls.originateCall(request, tenant: tenant, started: { continuation.resume(returning: $0) }) { outcome in
                AMIMetrics.originateFinished(since: accepted, answered: outcome.success)
                bus.publishOriginateResponse(request, outcome: outcome, tenant: tenant)
            }
        }
        guard let id else { return .failed("the call could not be started (the node's channel limit, or no c2c place for \(from))") }
        return .started(id: id)
    }

    /// The Originate the KalliopePBX form sends (the panel's AMI page shows the same one), async.
    static func clickToCallAction(from: String, to: String, timeoutMilliseconds: Int, tenant: UUID) -> AMIMessage {
        AMIMessage(headers: [
            .init(name: "Action", value: "Originate"), .init(name: "Async", value: "true"),
            .init(name: "Channel", value: "Local/\(from)@c2c"), .init(name: "Context", value: "from_c2c"),
            .init(name: "Exten", value: to), .init(name: "CallerId", value: "\"c2c: \(to)\" <\(to)>"),
            .init(name: "Timeout", value: String(timeoutMilliseconds)), .init(name: "Priority", value: "1"),
            .init(name: "Variable", value: "C2C_SRC=\(from)"), .init(name: "Variable", value: "C2C_DST=\(to)"),
            .init(name: "Variable", value: "__TENANT_UUID=\(tenant.uuidString.lowercased())"),
        ])
    }
}
