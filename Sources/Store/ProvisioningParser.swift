import AMI
import Foundation
import PBX
import Yams

/// Reads and validates a provisioning YAML file into a `ProvisioningDocument`.
///
/// Validation is strict and complete before anything is written: an unknown key, a missing
/// required field or a bad value is an error naming its line and field.
public enum ProvisioningParser {
    public static func parse(yaml: String) throws -> ProvisioningDocument {
        let root: Node?
        do {
            // UTF-8 named, not Yams's default: that one reads the process environment on every call
            // (YAMS_DEFAULT_ENCODING), a cost per file and a setting outside the node's flags.
            root = try Yams.compose(yaml: yaml, .default, .default, .utf8)
        } catch let error as YamlError {
            throw ProvisioningError(line: Self.line(of: error), field: "(file)", message: "not valid YAML: \(error)")
        }
        guard let root else { throw ProvisioningError(line: 1, field: "(file)", message: "the file is empty") }
        let top = try Fields(root, path: "(file)", allowed: ["tenants"])
        guard let tenantsNode = top.node("tenants") else {
            throw ProvisioningError(line: top.line, field: "tenants", message: "required")
        }
        let tenants = try sequence(tenantsNode, path: "tenants").enumerated().map { index, node in
            try parseTenant(node, path: "tenants[\(index)]")
        }
        try checkUnique(tenants.map { ($0.line, $0.name) }, field: "name", what: "tenant name", caseInsensitive: false)
        try checkUnique(tenants.map { ($0.line, $0.domain) }, field: "domain", what: "tenant domain", caseInsensitive: true)
        try checkUnique(
            tenants.flatMap { t in t.amiUsers.map { ($0.line, $0.username) } }, field: "username", what: "AMI username", caseInsensitive: true)
        return ProvisioningDocument(tenants: tenants)
    }

    static func parseTenant(_ node: Node, path: String) throws -> ProvisioningDocument.TenantSpec {
        let fields = try Fields(
            node, path: path, allowed: ["name", "uuid", "domain", "tone_country", "extensions", "trunks", "outbound_routes", "ami_users", "limits"])
        let name = try fields.required("name", matching: ProvisioningRules.tenantName)
        var uuid: UUID?
        if let text = try fields.optional("uuid") {
            guard let parsed = UUID(uuidString: text) else { throw fields.error("uuid", "'\(text)' is not a UUID") }
            uuid = parsed
        }
        let domain = try fields.optional("domain", matching: ProvisioningRules.domain) ?? name
        let tone = try fields.optional("tone_country", matching: ProvisioningRules.toneCountry) ?? "it"
        let extensions = try fields.items("extensions") { node, itemPath in
            let item = try Fields(node, path: itemPath, allowed: ["number", "name", "password"])
            return ProvisioningDocument.ExtensionSpec(
                line: item.line,
                number: try item.required("number", matching: ProvisioningRules.extensionNumber),
                name: try item.optional("name", matching: ProvisioningRules.displayName),
                password: try item.required("password", matching: ProvisioningRules.secret))
        }
        let trunks = try fields.items("trunks") { node, itemPath in
            let item = try Fields(node, path: itemPath, allowed: ["name", "host", "port", "transport", "username", "password", "rtp_timeout"])
            let port = try item.number("port", ProvisioningRules.trunkPort, default: 5060)
            let transportText = try item.optional("transport") ?? "udp"
            guard let transport = Trunk.Transport(rawValue: transportText) else { throw item.error("transport", "must be udp or tcp") }
            var rtpTimeout: Int? = nil
            if let text = try item.optional("rtp_timeout") {
                guard let value = Trunk.rtpTimeoutField.value(text) else {
                    throw item.error("rtp_timeout", "\(PlainText.quoted(text)) \(Trunk.rtpTimeoutField.explanation)")
                }
                rtpTimeout = value
            }
            let trunk = Trunk(
                name: try item.required("name", matching: ProvisioningRules.tenantName),
                host: try item.required("host", matching: ProvisioningRules.host),
                port: port, transport: transport, username: try item.optional("username", matching: ProvisioningRules.trunkUsername),
                rtpTimeout: rtpTimeout)
            return ProvisioningDocument.TrunkSpec(
                line: item.line, trunk: trunk,
                password: try item.optional("password", matching: ProvisioningRules.secret))
        }
        let routes = try fields.items("outbound_routes") { node, itemPath in
            let item = try Fields(node, path: itemPath, allowed: ["prefix", "trunk", "strip"])
            let prefix = try item.required("prefix", matching: ProvisioningRules.dialPrefix)
            let strip = try item.number("strip", ProvisioningRules.strip, default: 0)
            let route = OutboundRoute(prefix: prefix, trunk: try item.required("trunk", matching: ProvisioningRules.tenantName), strip: strip)
            return ProvisioningDocument.RouteSpec(line: item.line, route: route)
        }
        let amiUsers = try fields.items("ami_users") { node, itemPath in
            let item = try Fields(node, path: itemPath, allowed: ["username", "password", "permit", "read", "write", "eventfilter"])
            let permit = try item.stringList("permit")
            for entry in permit {
                do { _ = try AMIAccessRule(parsing: entry) } catch { throw item.error("permit", "\(error)") }
            }
            let read = try item.optional("read") ?? "call"
            let write = try item.optional("write") ?? "call,originate"
            for (field, value) in [("read", read), ("write", write)] where AMIPermissions(classList: value) == nil {
                throw item.error(
                    field, "'\(value)' is not a list of AMI classes (\(AMIPermissions.named.map(\.name).joined(separator: ", ")), all, none)")
            }
            let eventFilter = try item.stringList("eventfilter")
            if let problem = ProvisioningRules.eventFilterProblem(eventFilter) { throw item.error("eventfilter", problem) }
            return ProvisioningDocument.AMIUserSpec(
                line: item.line,
                username: try item.required("username", matching: ProvisioningRules.amiUsername),
                password: try item.required("password", matching: ProvisioningRules.secret),
                permit: permit, read: read, write: write, eventFilter: eventFilter)
        }
        try checkUnique(extensions.map { ($0.line, $0.number) }, field: "number", what: "extension number", caseInsensitive: false)
        try checkUnique(trunks.map { ($0.line, $0.trunk.name) }, field: "name", what: "trunk name", caseInsensitive: false)
        try checkUnique(routes.map { ($0.line, $0.route.prefix) }, field: "prefix", what: "route prefix", caseInsensitive: false)
        return ProvisioningDocument.TenantSpec(
            line: fields.line, name: name, uuid: uuid, domain: domain, toneCountry: tone,
            extensions: extensions, trunks: trunks, outboundRoutes: routes, amiUsers: amiUsers,
            limits: try parseLimits(fields, path: path))
    }

    static func sequence(_ node: Node, path: String) throws -> [Node] {
        guard let sequence = node.sequence else {
            throw ProvisioningError(line: node.mark?.line ?? 0, field: path, message: "must be a list")
        }
        return Array(sequence)
    }

    static func checkUnique(_ items: [(Int, String)], field: String, what: String, caseInsensitive: Bool) throws {
        var seen: [String: Int] = [:]
        for (line, value) in items {
            let key = caseInsensitive ? value.lowercased() : value
            if let first = seen[key] {
                throw ProvisioningError(line: line, field: field, message: "duplicate \(what) '\(value)' (first at line \(first))")
            }
            seen[key] = line
        }
    }

    static func line(of error: YamlError) -> Int {
        switch error {
        case let .scanner(_, _, mark, _), let .parser(_, _, mark, _), let .composer(_, _, mark, _):
            return mark.line
        default:
            return 1
        }
    }
}
