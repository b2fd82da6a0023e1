import Foundation
import PBX
import Store

/// The tenant page's capacity limits: one field per limit (empty = the node's default), with
/// what the tenant holds now beside it when the node reports it.
enum TenantLimitsForm {
    static func label(_ key: TenantLimits.Key) -> String {
        switch key {
        case .channels: return "Concurrent channels"
        case .rtpPortPairs: return "RTP port pairs"
        case .amiSessions: return "AMI sessions"
        case .originatesPerSecond: return "Originates per second (0 = unlimited)"
        }
    }

    /// The form field of a limit: `limits.channels`, … (also the error's field).
    static func field(_ key: TenantLimits.Key) -> String { "limits.\(key.rawValue)" }

    /// The limits a submitted form sets; an empty field is the node's default.
    static func limits(from form: FormData) throws -> TenantLimits {
        var limits = TenantLimits()
        for key in TenantLimits.Key.allCases {
            let text = form.text(field(key))
            guard !text.isEmpty else { continue }
            guard let value = TenantLimits.parse(text, for: key) else {
                throw AdminStoreError(.invalid, field: field(key), "'\(text)' \(key.explanation)")
            }
            limits[key] = value
        }
        return limits
    }

    static func fields(_ limits: TenantLimits, form: FormData?, error: AdminStoreError?, capacity: LiveTenantCapacity?) -> String {
        let inputs = TenantLimits.Key.allCases.map { key -> String in
            let value = form.map { $0.text(field(key)) } ?? limits[key].map(String.init) ?? ""
            let effective = capacity.map { "now: " + inUse(key, $0) } ?? ""
            return HTML.input(
                field(key), label: label(key), value: value, type: "number",
                error: error?.field == field(key) ? error?.message : nil,
                placeholder: "node default", extra: "min=\"\(key.minimum)\" max=\"\(TenantLimits.maximumValue)\"")
                + (effective.isEmpty ? "" : "<span class=\"muted\" id=\"capacity-\(key.rawValue)\">\(HTML.escape(effective))</span>")
        }
        return """
            <fieldset id="tenant-limits"><legend>Capacity limits (empty: the node's default share)</legend>
            \(inputs.joined(separator: "\n"))
            </fieldset>
            """
    }

    /// `3 of 2000 in use` (the limit shown is the effective one, the tenant's own or the node's default).
    static func inUse(_ key: TenantLimits.Key, _ capacity: LiveTenantCapacity) -> String {
        switch key {
        case .channels: return "\(capacity.channels) of \(capacity.channelsLimit) in use"
        case .rtpPortPairs: return "\(capacity.rtpPortPairs) of \(capacity.rtpPortPairsLimit) in use"
        case .amiSessions: return "\(capacity.amiSessions) of \(capacity.amiSessionsLimit) in use"
        case .originatesPerSecond:
            return capacity.originatesPerSecondLimit == 0 ? "unlimited" : "limit \(capacity.originatesPerSecondLimit) per second"
        }
    }
}
