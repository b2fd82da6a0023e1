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

        init(_ record: TenantRecord) {
            uuid = record.tenant.uuid.uuidString.lowercased()
            name = record.tenant.name
            domain = record.tenant.domain
            tone_country = record.tenant.toneCountry
            ami_enabled = record.amiEnabled
        }
    }

    struct TenantInput: Codable, Sendable {
        var name: String
        var domain: String?
        var tone_country: String?
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
        init(_ record: TrunkRecord) {
            name = record.trunk.name
            host = record.trunk.host
            port = record.trunk.port
            transport = record.trunk.transport.rawValue
            username = record.trunk.username
            has_password = record.hasPassword
        }
    }

    struct TrunkInput: Codable, Sendable {
        var name: String
        var host: String
        var port: Int?
        var transport: String?
        var username: String?
        var password: String?
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
        init(_ record: AMIUserRecord) {
            username = record.username
            permit = record.permit
            read = record.read
            write = record.write
            enabled = record.enabled
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
    }

    static let decoder: JSONDecoder = JSONDecoder()
}
