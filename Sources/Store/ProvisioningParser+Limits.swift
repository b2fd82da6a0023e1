import PBX
import Yams

/// A tenant's `limits` mapping: `channels`, `rtp_port_pairs`, `ami_sessions`, `originates_per_second`.
/// A key left out is the node's default; the mapping left out keeps what is stored.
extension ProvisioningParser {
    static func parseLimits(_ tenant: Fields, path: String) throws -> TenantLimits? {
        guard let node = tenant.node("limits") else { return nil }
        let fields = try Fields(node, path: "\(path).limits", allowed: Set(TenantLimits.Key.allCases.map(\.rawValue)))
        var limits = TenantLimits()
        for key in TenantLimits.Key.allCases {
            guard let text = try fields.optional(key.rawValue) else { continue }
            guard let value = TenantLimits.parse(text, for: key) else {
                throw fields.error(key.rawValue, "'\(text)' \(key.explanation)")
            }
            limits[key] = value
        }
        return limits
    }
}
