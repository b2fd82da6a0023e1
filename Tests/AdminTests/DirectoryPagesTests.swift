import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import PBX
import Store
import Testing

/// CRUD pages: tenants (system administrator), extensions, trunks, outbound routes, administrators, API tokens.
@Suite struct DirectoryPagesTests {
    @Test func tenantCRUDBySystemAdmin() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("admin", AdminTestHarness.systemPassword)
            #expect(try await session.get("/tenants").body.contains("acme.test"))
            let bad = try await session.post("/tenants", [("name", "bad name"), ("domain", "")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("must be 1-63 letters"))
            let clash = try await session.post("/tenants", [("name", "gamma"), ("domain", "acme.test")])
            #expect(clash.status == .conflict)
            #expect(clash.body.contains("already belongs to tenant"))
            #expect(try await session.post("/tenants", [("name", "gamma"), ("domain", "gamma.test"), ("tone_country", "it")]).status == .seeOther)
            let gamma = try #require(try await harness.store.tenantRecords().first { $0.tenant.name == "gamma" })
            let path = "/tenants/\(gamma.tenant.uuid.uuidString.lowercased())"
            #expect(try await session.get("\(path)/edit").status == .ok)
            #expect(
                try await session.post("\(path)/edit", [("name", "gamma2"), ("domain", "gamma2.test"), ("tone_country", "de")]).status == .seeOther)
            #expect(try await harness.store.tenantRecord(gamma.tenant.uuid).tenant.domain == "gamma2.test")
            #expect(try await session.post("\(path)/delete", []).status == .seeOther)
            await #expect(throws: AdminStoreError.self) { try await harness.store.tenantRecord(gamma.tenant.uuid) }
            let defaultTenant = try #require(try await harness.store.tenantRecords().first { $0.tenant.name == "default" })
            let refused = try await session.post("/tenants/\(defaultTenant.tenant.uuid.uuidString.lowercased())/delete", [])
            #expect(refused.status == .unprocessableContent)
        }
    }

    @Test func extensionCRUDWithValidation() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        let base = "\(harness.acmePath)/extensions"
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let bad = try await session.post(base, [("number", "10a"), ("password", "pw")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("must be 1-20 digits"))
            #expect(try await session.post(base, [("number", "100"), ("name", "Alice"), ("password", "pw100")]).status == .seeOther)
            #expect(try await session.post(base, [("number", "100"), ("password", "pw")]).status == .conflict)
            #expect(try await session.get(base).body.contains("100@acme.test"))
            #expect(try await session.get("\(base)/100/edit").status == .ok)
            #expect(try await session.post("\(base)/100/edit", [("name", "Alice B"), ("password", "")]).status == .seeOther)
            #expect(try await harness.store.extensionRecord("100", tenant: uuid).name == "Alice B")
            #expect(try await session.get("\(base)/999/edit").status == .notFound)
            #expect(try await session.post("\(base)/100/delete", []).status == .seeOther)
            #expect(try await harness.store.extensions(of: uuid).isEmpty)
        }
    }

    @Test func trunkAndRouteCRUD() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let trunks = "\(harness.acmePath)/trunks"
            let routes = "\(harness.acmePath)/routes"
            let badPort = try await session.post(trunks, [("name", "t1"), ("host", "sip.example.com"), ("port", "70000")])
            #expect(badPort.status == .unprocessableContent)
            #expect(badPort.body.contains("from 1 to 65535"))
            #expect(
                try await session.post(
                    trunks,
                    [
                        ("name", "t1"), ("host", "sip.example.com"), ("port", "5060"), ("transport", "udp"),
                        ("username", "u"), ("password", "p"),
                    ]
                ).status == .seeOther)
            #expect(try await harness.store.trunkRecord("t1", tenant: uuid).hasPassword)
            #expect(
                try await session.post("\(trunks)/t1/edit", [("name", "t1"), ("host", "sip2.example.com"), ("port", "5080"), ("transport", "tcp")])
                    .status == .seeOther)
            let trunk = try await harness.store.trunkRecord("t1", tenant: uuid)
            #expect(trunk.trunk.host == "sip2.example.com" && trunk.trunk.transport == .tcp && trunk.hasPassword)
            let noTrunk = try await session.post(routes, [("prefix", "0"), ("trunk", "nope"), ("strip", "1")])
            #expect(noTrunk.status == .unprocessableContent)
            #expect(noTrunk.body.contains("no trunk named"))
            #expect(try await session.post(routes, [("prefix", "0"), ("trunk", "t1"), ("strip", "1")]).status == .seeOther)
            #expect(try await session.post(routes, [("prefix", "*9#"), ("trunk", "t1")]).status == .seeOther)
            #expect(try await session.get("\(routes)/%2A9%23/edit").status == .ok)
            #expect(try await session.post("\(routes)/0/edit", [("prefix", "00"), ("trunk", "t1"), ("strip", "2")]).status == .seeOther)
            #expect(try await harness.store.outboundRoutes(of: uuid).map(\.prefix) == ["*9#", "00"])
            #expect(try await session.post("\(routes)/%2A9%23/delete", []).status == .seeOther)
            #expect(try await session.post("\(trunks)/t1/delete", []).status == .seeOther)
            #expect(try await harness.store.outboundRoutes(of: uuid).isEmpty)
        }
    }

    @Test func tenantAdministratorsAndAPITokens() async throws {
        let harness = try await AdminTestHarness()
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("admin", AdminTestHarness.systemPassword)
            let created = try await session.post("\(harness.acmePath)/admins", [("name", "bob"), ("password", "bob-password")])
            #expect(created.body.contains("bob@acme.test"))
            #expect(try await PanelSession(client).login("bob@acme.test", "bob-password").location == harness.acmePath)
            #expect(try await session.post("\(harness.acmePath)/admins", [("name", "bob"), ("password", "other-password")]).status == .conflict)
            #expect(try await session.post("\(harness.acmePath)/admins", [("name", "carl"), ("password", "short")]).status == .unprocessableContent)
            let tokens = try await session.post("/tokens", [("name", "crm")])
            let token = try #require(
                tokens.body.range(of: "<code id=\"api-token\">").map { String(tokens.body[$0.upperBound...].prefix { $0 != "<" }) })
            let api = try await client.execute(uri: "/api/v1/tenants", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(api.status == .ok)
        }
    }
}
