import PBX

/// The tenant table's nullable limit columns (migration v4), mapped to and from `TenantLimits`.
enum TenantLimitColumns {
    static func column(_ key: TenantLimits.Key) -> String {
        switch key {
        case .channels: return "limit_channels"
        case .rtpPortPairs: return "limit_rtp_port_pairs"
        case .amiSessions: return "limit_ami_sessions"
        case .originatesPerSecond: return "limit_originates_per_second"
        }
    }

    /// The limits of a `tenant` row (NULL = the node's default).
    static func limits(_ row: StoreRow) -> TenantLimits {
        var limits = TenantLimits()
        for key in TenantLimits.Key.allCases {
            // A stored value outside the accepted range or not an integer (written by hand) counts as the default.
            if let value = row.value(named: column(key)).flatMap(Int.init(storeValue:)), TenantLimits.accepts(value, for: key) {
                limits[key] = value
            }
        }
        return limits
    }

    /// Writes the four limit columns of tenant `id`.
    static func write(_ limits: TenantLimits, tenantID id: Int64, _ db: any StoreSession) throws {
        let assignments = TenantLimits.Key.allCases.map { "\(column($0)) = ?" }.joined(separator: ", ")
        let values: StoreArguments = TenantLimits.Key.allCases.map { limits[$0] }
        try db.execute(sql: "UPDATE tenant SET \(assignments) WHERE id = ?", arguments: values + [id])
    }

    /// Refuses a value outside its range, naming the key as the field.
    static func validate(_ limits: TenantLimits, fieldPrefix: String = "limits.") throws {
        for key in TenantLimits.Key.allCases {
            if let value = limits[key], !TenantLimits.accepts(value, for: key) {
                throw AdminStoreError(.invalid, field: fieldPrefix + key.rawValue, "\(value) \(key.explanation)")
            }
        }
    }
}
