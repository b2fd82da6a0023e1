import Admin
import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing

/// The AMI user's event filters (`eventfilter`): the panel's Event filters card and the API's field,
/// both checked as `centralino apply` checks them, stored for the next login.
@Suite struct AMIEventFilterSettingsTests {
    @Test func panelSavesValidatesAndClearsTheFilters() async throws {
        let harness = try await AdminTestHarness()
        let uuid = harness.acme.tenant.uuid
        let base = "\(harness.acmePath)/ami"
        try await harness.application().test(.router) { client in
            let session = PanelSession(client)
            try await session.login("alice@acme.test", AdminTestHarness.alicePassword)
            #expect(!(try await session.get(base).body.contains("id=\"eventfilter-form\"")), "no card before there is a user")
            #expect(try await session.post("\(base)/username", [("username", "crm")]).status == .ok)
            #expect(try await session.get(base).body.contains("id=\"eventfilter-form\""))

            let saved = try await session.post(
                "\(base)/eventfilter", [("eventfilter", "Event: Newchannel\r\n\r\n  Event: Hangup  \r\n!Channel: Local/\r\n")])
            #expect(saved.status == .seeOther)
            let expected = ["Event: Newchannel", "Event: Hangup", "!Channel: Local/"]
            #expect(try await harness.store.amiUsers(of: uuid).first?.eventFilter == expected)
            #expect(try await harness.store.amiAccounts().first { $0.username == "crm" }?.eventFilter == expected)
            let page = try await session.get(base)
            #expect(page.body.contains("Event filters saved; they apply from the next login."))
            #expect(page.body.contains("Event: Newchannel\nEvent: Hangup\n!Channel: Local/</textarea>"))

            let bad = try await session.post("\(base)/eventfilter", [("eventfilter", "Event: Hangup\nXX[X")])
            #expect(bad.status == .unprocessableContent)
            #expect(bad.body.contains("id=\"eventfilter-error\""))
            #expect(bad.body.contains("is not an event filter"))
            #expect(bad.body.contains("Event: Hangup\nXX[X</textarea>"), "the typed text is kept")
            #expect(try await harness.store.amiUsers(of: uuid).first?.eventFilter == expected, "nothing saved")

            let tooMany = (0..<33).map { "Event: E\($0)" }.joined(separator: "\n")
            #expect(try await session.post("\(base)/eventfilter", [("eventfilter", tooMany)]).status == .unprocessableContent)

            #expect(try await session.post("\(base)/eventfilter", [("eventfilter", "")]).status == .seeOther)
            #expect(try await harness.store.amiUsers(of: uuid).first?.eventFilter == [])
        }
    }

    @Test func apiReadsAndWritesTheFilters() async throws {
        let harness = try await AdminTestHarness()
        let api = "/api/v1\(harness.acmePath)/ami"
        try await harness.application().test(.router) { client in
            let token = harness.aliceToken
            let set = try await APITests.call(
                client, .patch, api, token: token,
                json:
                    #"{"username":"crm","eventfilter":["Event: Newchannel","eventfilter(action(exclude),header(Channel),method(starts_with)) = Local/"]}"#
            )
            #expect(set.status == .ok)
            let users = (set.body as? [String: Any])?["users"] as? [[String: Any]]
            #expect(
                users?.first?["eventfilter"] as? [String] == [
                    "Event: Newchannel", "eventfilter(action(exclude),header(Channel),method(starts_with)) = Local/",
                ])
            let bad = try await APITests.call(client, .patch, api, token: token, json: #"{"eventfilter":["eventfilter(nnnn(x)) = y"]}"#)
            #expect(bad.status == .unprocessableContent)
            #expect(((bad.body as? [String: Any])?["error"] as? [String: Any])?["field"] as? String == "eventfilter")
            let read = try await APITests.call(client, .get, api, token: token)
            #expect((((read.body as? [String: Any])?["users"] as? [[String: Any]])?.first?["eventfilter"] as? [String])?.count == 2)
        }
    }
}
