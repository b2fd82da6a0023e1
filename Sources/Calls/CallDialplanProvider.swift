import Foundation
import NIOConcurrencyHelpers
import PBX
import SIPServer

/// One application to run outside a dialplan (an Originate with `Application:`).
struct DialplanInstruction {
    var application: String
    var data: String
}

/// The dialplan as the engine uses it: each tenant's generated contexts.
protocol CallDialplanProvider: AnyObject, Sendable {
    /// The tenant's dialplan; nil for an unknown tenant.
    func dialplan(for tenant: UUID) -> Dialplan?
}

extension CallDialplanProvider {
    /// Whether `exten` exists in `context` of the tenant (Originate and Local targets check it).
    func extensionExists(tenant: UUID, context: String, exten: String, priority: Int = 1) -> Bool {
        dialplan(for: tenant)?.exists(context: context, exten: exten, priority: priority) ?? false
    }
}

/// Each tenant's dialplan, generated from its configuration (`DialplanGenerator`) and rebuilt when
/// the configuration changes. Contexts are per tenant, so no tenant's dialplan reaches another's.
final class TenantDialplans: CallDialplanProvider {
    private let directory: SIPDirectory
    private let generator: DialplanGenerator
    private let cache = NIOLockedValueBox<(generation: Int, plans: [UUID: Dialplan])>((-1, [:]))

    init(directory: SIPDirectory, generator: DialplanGenerator = DialplanGenerator()) {
        self.directory = directory
        self.generator = generator
    }

    func dialplan(for tenant: UUID) -> Dialplan? {
        let generation = directory.generation
        if let plan = cache.withLockedValue({ $0.generation == generation ? $0.plans[tenant] : nil }) { return plan }
        guard let owner = directory.tenant(uuid: tenant) else { return nil }
        let configuration = directory.configuration(of: tenant)
        let plan = generator.dialplan(
            tenant: owner, extensions: configuration.extensions.map { Extension(number: $0.number, name: $0.name) },
            trunks: configuration.trunks.map(\.trunk), routes: configuration.routes)
        cache.withLockedValue { cache in
            if cache.generation != generation { cache = (generation, [:]) }
            cache.plans[tenant] = plan
        }
        return plan
    }
}
