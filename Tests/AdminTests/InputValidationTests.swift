import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import PBX
import Store
import Testing

/// Control characters and out-of-range numbers in the panel's forms and the REST API (issue 9,
/// defects 1 and 11): refused with a form error (422) or a JSON error, never stored.
@Suite struct InputValidationTests {
    static let injected = "Alice\r\nX-Injected: yes"

    @Test func panelRefusesControlCharactersInExtensionNames() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        let base = "\(harness.acmePath)/extensions"
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            for name in [Self.injected, "Bob\u{0}", "Eve\rX", "Tab\tbed", "Nel\u{85}x", "Sep\u{2028}x"] {
                let page = try await session.post(base, [("number", "100"), ("name", name), ("password", "pw100")])
                #expect(page.status == .unprocessableContent, "\(name.debugDescription)")
                #expect(page.body.contains("without control characters"))
            }
            #expect(try await harness.store.extensions(of: uuid).isEmpty)
            #expect(try await session.post(base, [("number", "100"), ("name", "Zoë Müller"), ("password", "pw100")]).status == .seeOther)
            let edit = try await session.post("\(base)/100/edit", [("name", Self.injected), ("password", "")])
            #expect(edit.status == .unprocessableContent)
            #expect(try await harness.store.extensionRecord("100", tenant: uuid).name == "Zoë Müller")
        }
    }

    @Test func panelRefusesBadNumbersAndTrunkFields() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let trunks = "\(harness.acmePath)/trunks"
            let routes = "\(harness.acmePath)/routes"
            for port in ["99999999999999999999", "-1", "0", "1e3", "50 60", "nan"] {
                let page = try await session.post(trunks, [("name", "t1"), ("host", "sip.example.com"), ("port", port)])
                #expect(page.status == .unprocessableContent, "\(port)")
                #expect(page.body.contains("from 1 to 65535"))
            }
            let user = try await session.post(trunks, [("name", "t1"), ("host", "sip.example.com"), ("username", "u\r\nX: y")])
            #expect(user.status == .unprocessableContent)
            #expect(try await harness.store.trunkRecords(of: uuid).isEmpty)
            #expect(try await session.post(trunks, [("name", "t1"), ("host", "sip.example.com")]).status == .seeOther)
            for strip in ["99999999999999999999", "-1", "81", "x"] {
                let page = try await session.post(routes, [("prefix", "0"), ("trunk", "t1"), ("strip", strip)])
                #expect(page.status == .unprocessableContent, "\(strip)")
                #expect(page.body.contains("from 0 to 80"))
            }
            #expect(try await harness.store.outboundRoutes(of: uuid).isEmpty)
        }
    }

    @Test func apiRefusesControlCharactersAndOutOfRangeNumbers() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        let api = "/api/v1\(harness.acmePath)"
        try await harness.application().test(.router) { client in
            let ext = try await APITests.call(
                client, .post, "\(api)/extensions", token: harness.aliceToken,
                json: #"{"number":"100","name":"Alice\r\nX-Injected: yes","password":"pw100"}"#)
            #expect(ext.status == .unprocessableContent)
            let error = (ext.body as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["field"] as? String == "name")
            #expect((error?["message"] as? String)?.contains("\r") == false)
            #expect(try await harness.store.extensions(of: uuid).isEmpty)
            let port = try await APITests.call(
                client, .post, "\(api)/trunks", token: harness.aliceToken,
                json: #"{"name":"t1","host":"sip.example.com","port":99999999999}"#)
            #expect(port.status == .unprocessableContent)
            let hugePort = try await APITests.call(
                client, .post, "\(api)/trunks", token: harness.aliceToken,
                json: #"{"name":"t1","host":"sip.example.com","port":1e300}"#)
            #expect(hugePort.status == .badRequest)
            let user = try await APITests.call(
                client, .post, "\(api)/trunks", token: harness.aliceToken,
                json: #"{"name":"t1","host":"sip.example.com","username":"u\u0000"}"#)
            #expect(user.status == .unprocessableContent)
            #expect(
                try await APITests.call(
                    client, .post, "\(api)/trunks", token: harness.aliceToken,
                    json: #"{"name":"t1","host":"sip.example.com"}"#
                ).status == .created)
            let strip = try await APITests.call(
                client, .post, "\(api)/routes", token: harness.aliceToken,
                json: #"{"prefix":"0","trunk":"t1","strip":9223372036854775807}"#)
            #expect(strip.status == .unprocessableContent)
            #expect(try await harness.store.outboundRoutes(of: uuid).isEmpty)
        }
    }

    @Test func storeRefusesControlCharactersInAPITokenNames() async throws {
        let harness = try await AdminTestHarness()
        let admin = try #require(try await harness.store.adminUser(login: "admin"))
        await #expect(throws: AdminStoreError.self) {
            try await harness.store.createAPIToken(name: "crm\r\nX: y", sha256: "00", adminUserID: admin.id)
        }
        await #expect(throws: AdminStoreError.self) {
            try await harness.store.createAPIToken(name: String(repeating: "x", count: 81), sha256: "01", adminUserID: admin.id)
        }
        #expect(try await harness.store.createAPIToken(name: "crm token", sha256: "02", adminUserID: admin.id).name == "crm token")
    }

    @Test func storeRefusesControlCharactersInACLEntries() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        _ = try await harness.store.createAMIUser("crm", password: "s3cret-pass", tenant: uuid)
        await #expect(throws: AdminStoreError.self) { try await harness.store.addAMIPermit("10.0.0.1\r\n", username: "crm", tenant: uuid) }
        await #expect(throws: AdminStoreError.self) { try await harness.store.addAMIPermit("10.0.0.0/8\u{0}", username: "crm", tenant: uuid) }
    }
}
