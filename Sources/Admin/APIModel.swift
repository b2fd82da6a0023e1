import Foundation
import PBX
import Store

/// The JSON shapes of the REST API (`/api/v1`) and of the dashboard's live endpoint.
/// Keys are snake_case as written here; `APIModel.decoder` reads request bodies.
enum APIModel {
    struct ErrorBody: Codable, Sendable {
        struct Detail: Codable, Sendable {
            var code: String
            var field: String?
            var message: String
        }
        var error: Detail
    }

    struct TenantBody: Codable, Sendable {
        var uuid: String
        var name: String
        var domain: String
        var tone_country: String
        var ami_enabled: Bool
        /// The tenant's own limits; null ones are the node's defaults.
        var limits: LimitsBody

        init(_ record: TenantRecord) {
            uuid = record.tenant.uuid.uuidString.lowercased()
            name = record.tenant.name
            domain = record.tenant.domain
            tone_country = record.tenant.toneCountry
            ami_enabled = record.amiEnabled
            limits = LimitsBody(record.tenant.limits)
        }
    }

    struct TenantInput: Codable, Sendable {
        var name: String
        var domain: String?
        var tone_country: String?
        /// Absent: keep the stored limits (PUT) or the node's defaults (POST); each null or absent key is the node's default.
        var limits: LimitsBody?
    }

    /// A tenant's capacity limits (`TenantLimits`); null = the node's default. Always encodes all four keys.
    struct LimitsBody: Codable, Sendable, Equatable {
        var channels: Int?
        var rtp_port_pairs: Int?
        var ami_sessions: Int?
        var originates_per_second: Int?

        init(_ limits: TenantLimits) {
            channels = limits.channels
            rtp_port_pairs = limits.rtpPortPairs
            ami_sessions = limits.amiSessions
            originates_per_second = limits.originatesPerSecond
        }

        var limits: TenantLimits {
            TenantLimits(channels: channels, rtpPortPairs: rtp_port_pairs, amiSessions: ami_sessions, originatesPerSecond: originates_per_second)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(channels, forKey: .channels)
            try container.encode(rtp_port_pairs, forKey: .rtp_port_pairs)
            try container.encode(ami_sessions, forKey: .ami_sessions)
            try container.encode(originates_per_second, forKey: .originates_per_second)
        }
    }

    struct ExtensionBody: Codable, Sendable {
        var number: String
        var name: String?
        init(_ ext: Extension) {
            number = ext.number
            name = ext.name
        }
    }

    struct ExtensionInput: Codable, Sendable {
        var number: String?
        var name: String?
        var password: String?
    }

    struct TrunkBody: Codable, Sendable {
        var name: String
        var host: String
        var port: Int
        var transport: String
        var username: String?
        var has_password: Bool
        /// RTP inactivity timeout in seconds (0 = never); null = the node's `--rtp-timeout`.
        var rtp_timeout: Int?
        init(_ record: TrunkRecord) {
            name = record.trunk.name
            host = record.trunk.host
            port = record.trunk.port
            transport = record.trunk.transport.rawValue
            username = record.trunk.username
            has_password = record.hasPassword
            rtp_timeout = record.trunk.rtpTimeout
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(host, forKey: .host)
            try container.encode(port, forKey: .port)
            try container.encode(transport, forKey: .transport)
            try container.encodeIfPresent(username, forKey: .username)
            try container.encode(has_password, forKey: .has_password)
            try container.encode(rtp_timeout, forKey: .rtp_timeout)  // always present: null = the node's value
        }
    }

    struct TrunkInput: Codable, Sendable {
        var name: String
        var host: String
        var port: Int?
        var transport: String?
        var username: String?
        var password: String?
        /// Seconds, 0 = never; null or absent = the node's `--rtp-timeout`.
        var rtp_timeout: Int?
    }

    struct RouteBody: Codable, Sendable {
        var prefix: String
        var trunk: String
        var strip: Int
        init(_ route: OutboundRoute) {
            prefix = route.prefix
            trunk = route.trunk
            strip = route.strip
        }
    }

    struct RouteInput: Codable, Sendable {
        var prefix: String
        var trunk: String
        var strip: Int?
    }

    struct AMIUserBody: Codable, Sendable {
        var username: String
        var permit: [String]
        var read: String
        var write: String
        var enabled: Bool
        /// manager.conf `eventfilter` lines applied at login.
        var eventfilter: [String]
        init(_ record: AMIUserRecord) {
            username = record.username
            permit = record.permit
            read = record.read
            write = record.write
            enabled = record.enabled
            eventfilter = record.eventFilter
        }
    }

    struct AMISettingsBody: Codable, Sendable {
        var tenant_uuid: String
        var enabled: Bool
        var users: [AMIUserBody]
    }

    /// `PATCH /ami`: every key optional; `password` absent keeps it, `"generate"` makes one up.
    struct AMISettingsInput: Codable, Sendable {
        var enabled: Bool?
        var username: String?
        var password: String?
        var permit: [String]?
        var eventfilter: [String]?
        var user_enabled: Bool?
    }

    struct AMIPasswordBody: Codable, Sendable {
        var username: String
        var password: String
    }

    struct LiveBody: Codable, Sendable {
        var registrations: [LiveRegistration]
        var amiSessions: [LiveAMISession]
        var securityEvents: [LiveSecurityEvent]
        var activeCalls: Int
        /// The calls in progress (empty without a call engine).
        var calls: [LiveCall]
        /// The node that answered, in a cluster (its AMI sessions only: they are per node).
        var node: String?
    }

    static let decoder: JSONDecoder = JSONDecoder()
}
