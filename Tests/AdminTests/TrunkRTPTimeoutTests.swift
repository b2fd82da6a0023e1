import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import PBX
import Store
import Testing

/// A trunk's `rtp_timeout` in the panel's trunk form and the REST API trunk object: seconds,
/// 0 = never, empty/null = the node's `--rtp-timeout`; outside 0...86400 refused naming the field.
@Suite struct TrunkRTPTimeoutTests {
    @Test func rtpTimeoutInThePanelForm() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            let trunks = "\(harness.acmePath)/trunks"
            for bad in ["-1", "86401", "99999999999999999999", "1e3", "3 s", "never"] {
                let page = try await session.post(trunks, [("name", "t1"), ("host", "sip.example.com"), ("rtp_timeout", bad)])
                #expect(page.status == .unprocessableContent, "\(bad)")
                #expect(page.body.contains("from 0 to 86400"), "\(bad)")
            }
            #expect(try await harness.store.trunkRecords(of: uuid).isEmpty)
            #expect(try await session.post(trunks, [("name", "t1"), ("host", "sip.example.com"), ("rtp_timeout", "3")]).status == .seeOther)
            #expect(try await harness.store.trunkRecord("t1", tenant: uuid).trunk.rtpTimeout == 3)
            let edit = try await session.get("\(trunks)/t1/edit")
            #expect(edit.body.contains(#"name="rtp_timeout" id="f-rtp_timeout" value="3""#))
            // Empty = the node's value; 0 = never (kept apart from empty).
            #expect(
                try await session.post("\(trunks)/t1/edit", [("name", "t1"), ("host", "sip.example.com"), ("rtp_timeout", "0")]).status == .seeOther)
            #expect(try await harness.store.trunkRecord("t1", tenant: uuid).trunk.rtpTimeout == 0)
            #expect(
                try await session.post("\(trunks)/t1/edit", [("name", "t1"), ("host", "sip.example.com"), ("rtp_timeout", "")]).status == .seeOther)
            #expect(try await harness.store.trunkRecord("t1", tenant: uuid).trunk.rtpTimeout == nil)
        }
    }

    @Test func rtpTimeoutInTheAPI() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        let api = "/api/v1\(harness.acmePath)"
        try await harness.application().test(.router) { client in
            let token = harness.aliceToken
            let created = try await APITests.call(
                client, .post, "\(api)/trunks", token: token,
                json: #"{"name":"t1","host":"sip.example.com","rtp_timeout":3}"#)
            #expect(created.status == .created)
            #expect((created.body as? [String: Any])?["rtp_timeout"] as? Int == 3)
            #expect(try await harness.store.trunkRecord("t1", tenant: uuid).trunk.rtpTimeout == 3)

            let out = try await APITests.call(
                client, .put, "\(api)/trunks/t1", token: token, json: #"{"name":"t1","host":"sip.example.com","rtp_timeout":86401}"#)
            #expect(out.status == .unprocessableContent)
            #expect(((out.body as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == "rtp_timeout")
            for bad in [#""3""#, "1e300", "-1.5"] {
                let reply = try await APITests.call(
                    client, .put, "\(api)/trunks/t1", token: token,
                    json: #"{"name":"t1","host":"sip.example.com","rtp_timeout":"# + bad + "}")
                #expect(reply.status == .badRequest, "\(bad)")
            }
            #expect(try await harness.store.trunkRecord("t1", tenant: uuid).trunk.rtpTimeout == 3)

            // PUT replaces the trunk: null or absent = the node's value, always present as null.
            #expect(
                try await APITests.call(
                    client, .put, "\(api)/trunks/t1", token: token,
                    json: #"{"name":"t1","host":"sip.example.com","rtp_timeout":null}"#
                ).status == .ok)
            let fetched = try await APITests.call(client, .get, "\(api)/trunks/t1", token: token)
            let body = try #require(fetched.body as? [String: Any])
            #expect(body.keys.contains("rtp_timeout"))
            #expect(body["rtp_timeout"] is NSNull)
            #expect(try await harness.store.trunkRecord("t1", tenant: uuid).trunk.rtpTimeout == nil)

            let document = try await APITests.call(client, .get, "/api/v1/openapi.json", token: token)
            let schemas = ((document.body as? [String: Any])?["components"] as? [String: Any])?["schemas"] as? [String: Any]
            let trunk = (schemas?["Trunk"] as? [String: Any])?["properties"] as? [String: Any]
            #expect((trunk?["rtp_timeout"] as? [String: Any])?["maximum"] as? Int == 86_400)
        }
    }
}
