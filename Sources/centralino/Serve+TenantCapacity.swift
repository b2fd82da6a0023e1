import Admin
import Calls
import PBX

extension Serve {
    /// `--max-channels`: the node's channel cap over every tenant.
    func nodeChannelLimit() throws -> Int {
        let limit = try EnvironmentOption.resolveInt(maxChannels, "CENTRALINO_MAX_CHANNELS", default: TenantCapacityDefaults.defaultNodeChannels)
        guard (1...TenantCapacityDefaults.maximumNodeChannels).contains(limit) else {
            throw CommandFailure(
                "--max-channels \(limit): expected a number from 1 to \(TenantCapacityDefaults.maximumNodeChannels) (the channels whose call records a node follows at once)"
            )
        }
        return limit
    }

    /// The node's default per-tenant limits: the flags where given, else `shares` (half of the
    /// node's channel cap and of the RTP port pairs, 100 AMI sessions, no originate rate limit).
    func tenantCapacityDefaults(shares: TenantCapacityDefaults) throws -> TenantCapacityDefaults {
        var defaults = shares
        defaults.channels = try EnvironmentOption.resolveInt(tenantMaxChannels, "CENTRALINO_TENANT_MAX_CHANNELS", default: shares.channels)
        defaults.rtpPortPairs = try EnvironmentOption.resolveInt(
            tenantMaxRtpPortPairs, "CENTRALINO_TENANT_MAX_RTP_PORT_PAIRS", default: shares.rtpPortPairs)
        defaults.amiSessions = try EnvironmentOption.resolveInt(
            tenantMaxAmiSessions, "CENTRALINO_TENANT_MAX_AMI_SESSIONS", default: shares.amiSessions)
        defaults.originatesPerSecond = try EnvironmentOption.resolveInt(
            tenantMaxOriginatesPerSecond, "CENTRALINO_TENANT_MAX_ORIGINATES_PER_SECOND",
            default: shares.originatesPerSecond)
        for (flag, value, minimum) in [
            ("--tenant-max-channels", defaults.channels, 1), ("--tenant-max-rtp-port-pairs", defaults.rtpPortPairs, 1),
            ("--tenant-max-ami-sessions", defaults.amiSessions, 1),
            ("--tenant-max-originates-per-second", defaults.originatesPerSecond, 0),
        ]
        where !(minimum...TenantLimits.maximumValue).contains(value) {
            throw CommandFailure("\(flag) \(value): expected a number from \(minimum) to \(TenantLimits.maximumValue)")
        }
        return defaults
    }
}

extension Serve {
    /// The admin panel's tunables from flags: the request body limit, the CSV export's rows.
    func adminConfiguration() throws -> AdminConfiguration {
        var configuration = AdminConfiguration()
        let limit = try EnvironmentOption.resolveInt(httpMaxBodyBytes, "CENTRALINO_HTTP_MAX_BODY_BYTES", default: configuration.maximumBodySize)
        guard (1024...AdminConfiguration.maximumBodySizeCeiling).contains(limit) else {
            throw CommandFailure("--http-max-body-bytes \(limit): expected 1024 to \(AdminConfiguration.maximumBodySizeCeiling)")
        }
        configuration.maximumBodySize = limit
        let rows = try EnvironmentOption.resolveInt(cdrExportMaxRows, "CENTRALINO_CDR_EXPORT_MAX_ROWS", default: configuration.cdrExportMaximumRows)
        guard (1...AdminConfiguration.cdrExportMaximumRowsCeiling).contains(rows) else {
            throw CommandFailure("--cdr-export-max-rows \(rows): expected 1 to \(AdminConfiguration.cdrExportMaximumRowsCeiling)")
        }
        configuration.cdrExportMaximumRows = rows
        return configuration
    }
}
