import AMI
import Foundation
import NIOCore
import PBX
import SIPServer

/// What a channel's redirect came to (`Redirect` action).
package enum RedirectResult: Sendable, Equatable {
    case redirected
    case noChannel
    case noExtraChannel
    /// The target (or one of the two targets) does not exist in the tenant's dialplan.
    case failed
}

/// What setting a channel variable came to (`Setvar` action).
package enum SetVariableResult: Sendable, Equatable {
    /// Set, or no channel was named (nothing to set on).
    case set
    case noChannel
    /// The channel already holds as many variables as it may.
    case overLimit
}

/// An extension with its device state and registered contacts (endpoint and extension-state lists).
package struct EndpointReport: Sendable {
    package var number: String
    package var state: String
    package var contacts: [(contact: String, source: String, expiresIn: UInt64, userAgent: String)]
}

/// The call engine as the rest of the node uses it, from any thread: one method per action, each
/// hops onto the event loop of the tenant's engine shard (`CallShardMap`) and hands its result to
/// `completion` there (callers hop back). Everything is scoped to one tenant, so every action runs
/// on exactly one shard; settings go to every shard.
public final class CallControl: Sendable {
    /// One engine per shard, index = shard.
    private let engines: [NIOLoopBound<CallEngine>]
    /// Which shard a tenant's calls live on.
    package let shards: CallShardMap
    let dialplans: any CallDialplanProvider
    /// Per-tenant limits and usage (thread-safe): Originate admission, AMI session limit, metrics.
    public let capacity: TenantCapacity
    /// In a cluster, which tenants' calls run on another node (refused here).
    public let homes: CallHomeGate

    /// `engines[i]` is shard `i`'s engine; all share `dialplans` and `capacity`.
    init(
        engines: [NIOLoopBound<CallEngine>], dialplans: any CallDialplanProvider, capacity: TenantCapacity, homes: CallHomeGate = CallHomeGate()
    ) {
        precondition(!engines.isEmpty, "a node has at least one engine shard")
        self.engines = engines
        self.homes = homes
        self.shards = CallShardMap(count: engines.count)
        self.dialplans = dialplans
        self.capacity = capacity
    }

    /// The engine of `tenant`'s shard.
    private func engine(of tenant: UUID) -> NIOLoopBound<CallEngine> {
        engines[shards.shard(of: tenant)]
    }

    /// Runs `body` on the loop of `tenant`'s engine and hands its result to `completion` there.
    private func run<T: Sendable>(
        _ tenant: UUID, _ completion: @escaping @Sendable (T) -> Void, _ body: @escaping @Sendable (CallEngine) -> T
    ) {
        let engine = self.engine(of: tenant)
        engine.eventLoop.execute { completion(body(engine.value)) }
    }

    // MARK: - Settings

    /// The limits channels hold their variables to (the same an Originate is checked against).
    package func setVariableLimits(_ limits: ChannelVariables.Limits) {
        for engine in engines {
            engine.eventLoop.execute { engine.value.variableLimits = limits }
        }
    }

    // MARK: - Originate

    /// Whether `tenant` may originate `request` now (room for what it will open, and its rate);
    /// the refusal says which limit, for the AMI `Message:`. The engine checks the room again.
    package func admitOriginate(_ request: OriginateRequest, tenant: UUID) -> TenantCapacityRefusal? {
        let needed = CallEngine.capacityNeeded(for: request)
        return capacity.admitOriginate(tenant: tenant, channels: needed.channels, mediaLegs: needed.mediaLegs)
    }

    /// Starts an Originate for `tenant`: `started` runs (on the engine's loop) once the engine has
    /// taken it, `completion` when the originated channel answers or fails.
    package func originate(
        _ request: OriginateRequest, tenant: UUID, started: @escaping @Sendable () -> Void = {},
        completion: @escaping @Sendable (OriginateOutcome) -> Void
    ) {
        run(tenant, { _ in started() }) { engine in engine.originate(request, tenant: tenant, completion: completion) }
    }

    /// Starts an Originate for `tenant` like `originate`, and hands `started` the call's linkedid (nil
    /// when it failed at once; `completion` has then run already). For the REST click-to-call.
    package func originateCall(
        _ request: OriginateRequest, tenant: UUID, started: @escaping @Sendable (String?) -> Void,
        completion: @escaping @Sendable (OriginateOutcome) -> Void
    ) {
        run(tenant, started) { engine in engine.originate(request, tenant: tenant, completion: completion) }
    }

    /// Whether `exten` exists at `priority` in the tenant's `context` (thread-safe).
    package func extensionExists(tenant: UUID, context: String, exten: String, priority: Int) -> Bool {
        dialplans.extensionExists(tenant: tenant, context: context, exten: exten, priority: priority)
    }

    /// Priority number of a label in the tenant's dialplan (thread-safe).
    package func label(tenant: UUID, context: String, exten: String, label: String) -> Int? {
        dialplans.dialplan(for: tenant)?.findLabel(context: context, exten: exten, label: label)
    }

    /// Whether `resource` of a Local Originate names a dialplan place: its extension and context.
    package static func localTarget(_ resource: String) -> (exten: String, context: String) {
        CallEngine.localTarget(resource)
    }

    // MARK: - Channels

    /// Hangs up the channel named (or with the uniqueid) `channel`; its name, nil when there is none.
    package func hangup(channel: String, tenant: UUID, cause: HangupCause, completion: @escaping @Sendable (String?) -> Void) {
        run(tenant, completion) { engine in engine.hangup(named: channel, tenant: tenant, cause: cause) }
    }

    /// Hangs up the live channels with these uniqueids; the names of those hung up.
    package func hangup(uniqueIDs: [String], tenant: UUID, cause: HangupCause, completion: @escaping @Sendable ([String]) -> Void) {
        run(tenant, completion) { engine in engine.hangup(uniqueIDs: uniqueIDs, tenant: tenant, cause: cause) }
    }

    /// The tenant's calls in progress, oldest first (REST `/api/v1/calls`, the dashboard).
    package func calls(tenant: UUID, completion: @escaping @Sendable ([CallSummary]) -> Void) {
        run(tenant, completion) { engine in engine.callSummaries(tenant: tenant) }
    }

    /// Hangs up every channel of the tenant's call `id` (its linkedid); the channels' names, none
    /// when the tenant has no such call.
    package func hangUpCall(id: String, tenant: UUID, cause: HangupCause, completion: @escaping @Sendable ([String]) -> Void) {
        run(tenant, completion) { engine in engine.hangUpCall(id: id, tenant: tenant, cause: cause) }
    }

    /// Uniqueids and names of the tenant's live channels (for a `/regex/` Hangup).
    package func liveChannelNames(tenant: UUID, completion: @escaping @Sendable ([(uniqueID: String, name: String)]) -> Void) {
        run(tenant, completion) { engine in engine.liveChannelNames(tenant: tenant) }
    }

    /// The tenant's live channels as list actions report them (CoreShowChannels, Status).
    package func channelReports(tenant: UUID, completion: @escaping @Sendable ([ChannelReport]) -> Void) {
        run(tenant, completion) { engine in engine.channelReports(tenant: tenant) }
    }

    /// Calls in progress and calls completed since start (CoreStatus).
    package func callCounts(tenant: UUID, completion: @escaping @Sendable ((active: Int, processed: Int)) -> Void) {
        run(tenant, completion) { engine in (engine.activeCalls(tenant: tenant), engine.processedCalls[tenant] ?? 0) }
    }

    /// A channel variable or function (`Getvar`): nil when `channel` names no live channel; `.some(nil)`
    /// when no channel is named.
    package func variable(_ name: String, channel: String, tenant: UUID, completion: @escaping @Sendable (String??) -> Void) {
        run(tenant, completion) { engine -> String?? in
            guard !channel.isEmpty else { return .some(nil) }
            guard let found = engine.findChannel(channel, tenant: tenant) else { return nil }
            return .some(ChannelVariableSource(channel: found).variable(name))
        }
    }

    /// Sets a channel variable (`Setvar`); no channel named sets nothing.
    package func setVariable(
        _ name: String, value: String, channel: String, tenant: UUID,
        completion: @escaping @Sendable (SetVariableResult) -> Void
    ) {
        run(tenant, completion) { engine -> SetVariableResult in
            guard !channel.isEmpty else { return .set }
            guard let found = engine.findChannel(channel, tenant: tenant) else { return .noChannel }
            return engine.setVariable(found, name, value) ? .set : .overLimit
        }
    }

    /// Sends a channel (and, for a dual redirect, `extra` with its own target) to a dialplan place.
    package func redirect(
        channel: String, to target: (context: String, exten: String, priority: Int),
        extra: (channel: String, target: (context: String, exten: String, priority: Int))?, tenant: UUID,
        completion: @escaping @Sendable (RedirectResult) -> Void
    ) {
        run(tenant, completion) { engine -> RedirectResult in
            guard let first = engine.findChannel(channel, tenant: tenant) else { return .noChannel }
            guard let extra else {
                return engine.redirect(first, context: target.context, exten: target.exten, priority: target.priority) ? .redirected : .failed
            }
            guard let second = engine.findChannel(extra.channel, tenant: tenant) else { return .noExtraChannel }
            return engine.redirect(first, to: target, extra: second, to: extra.target) ? .redirected : .failed
        }
    }

    /// Blind-transfers the party bridged with `channel` to `exten` (in `context`, else the channel's):
    /// nil when there is no such channel, false when the transfer failed.
    package func blindTransfer(
        channel: String, exten: String, context: String?, tenant: UUID,
        completion: @escaping @Sendable (Bool?) -> Void
    ) {
        run(tenant, completion) { engine -> Bool? in
            guard let found = engine.findChannel(channel, tenant: tenant) else { return nil }
            return engine.blindTransfer(found, exten: exten, context: context)
        }
    }

    // MARK: - Endpoints

    /// The tenant's extensions with their device states and contacts.
    package func endpoints(tenant: UUID, completion: @escaping @Sendable ([EndpointReport]) -> Void) {
        run(tenant, completion) { engine in
            let contacts = engine.contacts(tenant: tenant)
            return engine.directory.configuration(of: tenant).extensions.map { stored in
                EndpointReport(
                    number: stored.number, state: engine.deviceState(tenant: tenant, number: stored.number),
                    contacts: contacts.filter { $0.number == stored.number }.map { ($0.contact, $0.source, $0.expiresIn, $0.userAgent) })
            }
        }
    }

    /// The device state of extension `number`, nil when the tenant has no such extension.
    package func deviceState(extension number: String, tenant: UUID, completion: @escaping @Sendable (String?) -> Void) {
        run(tenant, completion) { engine -> String? in
            guard engine.directory.directoryExtension(tenant: tenant, number: number) != nil else { return nil }
            return engine.deviceState(tenant: tenant, number: number)
        }
    }

    /// Asterisk's extension status code and text for a device state.
    package static func extensionStatusCode(_ state: String) -> (Int, String) {
        CallEngine.extensionStatusCode(state)
    }

    /// Calls (distinct linked ids) with live channels in the tenant.
    public func activeCalls(tenant: UUID) async -> Int {
        let engine = self.engine(of: tenant)
        return
            (try? await engine.eventLoop.submit {
                engine.value.activeCalls(tenant: tenant)
            }.get()) ?? 0
    }
}
