import AMI
import Foundation
import NIOCore
import PBX

/// The call engine as the rest of the node uses it, from any thread: every call hops onto the
/// engine's event loop.
public final class CallControl: Sendable {
    let loop: any EventLoop
    private let engine: NIOLoopBound<CallEngine>
    let dialplans: any CallDialplanProvider
    /// Per-tenant limits and usage (thread-safe): Originate admission, AMI session limit, metrics.
    public let capacity: TenantCapacity

    init(engine: CallEngine) {
        self.loop = engine.loop
        self.engine = NIOLoopBound(engine, eventLoop: engine.loop)
        self.dialplans = engine.dialplans
        self.capacity = engine.capacity
    }

    /// Whether `tenant` may originate `request` now (room for what it will open, and its rate);
    /// the refusal says which limit, for the AMI `Message:`. The engine checks the room again.
    func admitOriginate(_ request: OriginateRequest, tenant: UUID) -> TenantCapacityRefusal? {
        let needed = CallEngine.capacityNeeded(for: request)
        return capacity.admitOriginate(tenant: tenant, channels: needed.channels, mediaLegs: needed.mediaLegs)
    }

    /// Starts an Originate for `tenant`; `completion` runs (on the engine's loop) when the
    /// originated channel answers or fails.
    func originate(_ request: OriginateRequest, tenant: UUID, completion: @escaping @Sendable (OriginateOutcome) -> Void) {
        let engine = self.engine
        loop.execute { engine.value.originate(request, tenant: tenant, completion: completion) }
    }

    /// Runs `body` on the engine's loop and hands its result to `completion` there.
    func query<T: Sendable>(_ body: @escaping @Sendable (CallEngine) -> T, completion: @escaping @Sendable (T) -> Void) {
        let engine = self.engine
        loop.execute { completion(body(engine.value)) }
    }

    /// Whether `exten` exists at `priority` in the tenant's `context` (thread-safe).
    func extensionExists(tenant: UUID, context: String, exten: String, priority: Int) -> Bool {
        dialplans.extensionExists(tenant: tenant, context: context, exten: exten, priority: priority)
    }

    /// Priority number of a label in the tenant's dialplan.
    func label(tenant: UUID, context: String, exten: String, label: String) -> Int? {
        dialplans.dialplan(for: tenant)?.findLabel(context: context, exten: exten, label: label)
    }

    /// Calls (distinct linked ids) with live channels in the tenant.
    public func activeCalls(tenant: UUID) async -> Int {
        let engine = self.engine
        return
            (try? await loop.submit {
                engine.value.activeCalls(tenant: tenant)
            }.get()) ?? 0
    }
}
