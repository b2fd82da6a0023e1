import Foundation
import PBX

/// What a provisioning file (`centralino apply FILE.yaml`) declares, already validated field by field.
/// Each item keeps the line it came from, so conflicts found against the database can name it.
public struct ProvisioningDocument: Sendable {
    public struct TenantSpec: Sendable {
        public var line: Int
        public var name: String
        public var uuid: UUID?
        public var domain: String
        public var toneCountry: String
        public var extensions: [ExtensionSpec]
        public var trunks: [TrunkSpec]
        public var outboundRoutes: [RouteSpec]
        public var amiUsers: [AMIUserSpec]
        /// The `limits` mapping; nil when the file has none (the stored limits stay as they are).
        public var limits: TenantLimits? = nil
    }

    public struct ExtensionSpec: Sendable {
        public var line: Int
        public var number: String
        public var name: String?
        public var password: String
    }

    public struct TrunkSpec: Sendable {
        public var line: Int
        public var trunk: Trunk
        public var password: String?
    }

    public struct RouteSpec: Sendable {
        public var line: Int
        public var route: OutboundRoute
    }

    public struct AMIUserSpec: Sendable {
        public var line: Int
        public var username: String
        public var password: String
        public var permit: [String]
        public var read: String
        public var write: String
        /// manager.conf `eventfilter` lines, applied at login.
        public var eventFilter: [String] = []
    }

    public var tenants: [TenantSpec]
}

/// A provisioning problem, naming the line and the field it is about.
public struct ProvisioningError: Error, Sendable, CustomStringConvertible, Equatable {
    public var line: Int
    public var field: String
    public var message: String

    public init(line: Int, field: String, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String { "line \(line): \(field): \(message)" }
}
