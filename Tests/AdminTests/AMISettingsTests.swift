import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// The AMI settings page: username, password shown once, ACL validation, fixed permissions,
/// snippets, and disabling that closes sessions.
@Suite struct AMISettingsTests {
    @Test func fullAMISetupThroughThePage() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        let base = "\(harness.acmePath)/ami"
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let empty = try await session.get(base)
            #expect(empty.status == .ok)
            #expect(empty.body.contains("Create user"))
            #expect(empty.body.contains("Channel: Local/100@c2c_\(uuid.uuidString.lowercased())"))
            #expect(empty.body.contains("Variable: __TENANT_UUID=\(uuid.uuidString.lowercased())"))

            let bad = try await session.post("\(base)/username", [("username", "bad name!")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("must be 1-80 letters"))

            let created = try await session.post("\(base)/username", [("username", "crm")])
            #expect(created.status == .ok)
            let generated = try #require(Self.secret(in: created.body))
            #expect(generated.count == 20)
            #expect(try await harness.store.amiAccounts().first { $0.username == "crm" }?.secret == generated)
            // shown once: the page does not show it again
            #expect(!(try await session.get(base).body.contains(generated)))

            let set = try await session.post("\(base)/password", [("password", "s3cret-pw")])
            #expect(set.body.contains("s3cret-pw"))
            #expect(try await harness.store.amiAccounts().first { $0.username == "crm" }?.secret == "s3cret-pw")

            let badACL = try await session.post("\(base)/acl/add", [("entry", "10.0.0.300/8")])
            #expect(badACL.status == .unprocessableContent)
            #expect(badACL.body.contains("invalid ACL entry"))
            let badPrefix = try await session.post("\(base)/acl/add", [("entry", "10.0.0.0/33")])
            #expect(badPrefix.body.contains("prefix length must be 0 to 32"))
            #expect(try await session.post("\(base)/acl/add", [("entry", "127.0.0.1/32")]).status == .seeOther)
            #expect(try await session.post("\(base)/acl/add", [("entry", "2001:db8::/32")]).status == .seeOther)
            #expect(try await session.post("\(base)/acl/add", [("entry", "127.0.0.1/32")]).status == .conflict)
            #expect(try await session.post("\(base)/acl/remove", [("entry", "2001:db8::/32")]).status == .seeOther)
            let page = try await session.get(base)
            #expect(page.body.contains("<code>127.0.0.1/32</code>"))
            #expect(!page.body.contains("<td><code>2001:db8::/32</code></td>"))
            #expect(page.body.contains("<dt>read</dt><dd><code>call</code>"))
            #expect(page.body.contains("<dt>write</dt><dd><code>call,originate</code>"))
            #expect(page.body.contains("Removed 2001:db8::/32"))
            #expect(try await harness.store.amiUsers(of: uuid).first?.permit == ["127.0.0.1/32"])

            await harness.live.setSessions([LiveAMISession(username: "crm", address: "127.0.0.1:5000", since: Date())], tenant: uuid)
            #expect(try await session.post("\(base)/user-enabled", [("enabled", "0"), ("username", "crm")]).status == .seeOther)
            #expect(await harness.live.closed.last?.username == "crm")
            #expect(try await harness.store.activeAMIAccounts().first { $0.username == "crm" }?.enabled == false)
            #expect(try await session.post("\(base)/user-enabled", [("enabled", "1"), ("username", "crm")]).status == .seeOther)

            #expect(try await session.post("\(base)/service", [("enabled", "0")]).status == .seeOther)
            #expect(await harness.live.closed.last.map { $0.tenant == uuid && $0.username == nil } == true)
            #expect(try await harness.store.tenantRecord(uuid).amiEnabled == false)
            #expect(try await harness.store.activeAMIAccounts().first { $0.username == "crm" }?.enabled == false)
            #expect(try await session.get(base).body.contains("Enable AMI"))
            #expect(try await session.post("\(base)/service", [("enabled", "1")]).status == .seeOther)
            #expect(try await harness.store.activeAMIAccounts().first { $0.username == "crm" }?.enabled == true)

            #expect(try await session.post("\(base)/username", [("username", "crm2")]).status == .seeOther)
            #expect(try await harness.store.amiUsers(of: uuid).first?.username == "crm2")
        }
    }

    @Test func amiUsernamesAreUniqueAcrossTenants() async throws {
        let harness = try await AdminTestHarness()
        try await harness.store.createAMIUser("shared", password: "pw", tenant: harness.beta.tenant.uuid)
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let clash = try await session.post("\(harness.acmePath)/ami/username", [("username", "shared")])
            #expect(clash.status == .conflict)
            #expect(clash.body.contains("unique across the system"))
        }
    }

    static func secret(in html: String) -> String? {
        guard let range = html.range(of: "<code id=\"ami-password\">") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "<" })
    }
}
