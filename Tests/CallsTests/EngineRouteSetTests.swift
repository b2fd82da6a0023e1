import Foundation
import Logging
import NIOCore
import PBX
import SIP
import SIPServer
import Store
import XCTest

@testable import Calls

/// A phone registered through an edge proxy (RFC 3327 Path): the INVITE to it goes to the Path's
/// first hop with the Path as its Route set and the contact as Request-URI; the dialog then keeps
/// the route set of the 2xx's Record-Route (RFC 3261 §12.1.2) for its ACK and BYE.
final class EngineRouteSetTests: XCTestCase {
    typealias H = EngineHarness

    static let edge = SIPEndpoint(transport: .udp, address: try! SocketAddress(ipAddress: "192.0.2.50", port: 5070))
    static let path = "<sip:192.0.2.50:5070;lr;received=sip:198.51.100.7:40000>"

    /// The harness's tenant and stack, but extension 100 registered through the edge.
    func pbx() -> EngineHarness {
        let tenant = Tenant(uuid: UUID(), name: "acme", domain: "acme.test")
        let directory = H.stack(tenants: [tenant]).directory
        let expires = Date().timeIntervalSince1970 + 3600
        let registrations = [
            RegistrationRecord(
                tenant: tenant.uuid, number: "100", bindingKey: "sip:100@10.0.0.7:5060", contact: "<sip:100@10.0.0.7:5060>",
                instance: nil, callID: "reg-100", cseq: 1, expiresAt: expires, source: "192.0.2.50:5070", transport: "udp",
                userAgent: "phone", path: [Self.path]),
            RegistrationRecord(
                tenant: tenant.uuid, number: "101", bindingKey: "sip:101@192.0.2.11:5060", contact: "<sip:101@192.0.2.11:5060>",
                instance: nil, callID: "reg-101", cseq: 1, expiresAt: expires, source: "192.0.2.11:5060", transport: "udp",
                userAgent: "phone"),
        ]
        let stack = SIPStack(
            configuration: SIPServerConfiguration(host: "192.0.2.1", port: 5060), directory: directory,
            registrations: registrations, logger: Logger(label: "engine-test"))
        return H(tenant: tenant, stack: stack)
    }

    func testCallToAPhoneBehindTheEdgeFollowsPathThenTheDialogRouteSet() throws {
        let pbx = pbx()
        pbx.originate("Local/100@internal", exten: "101")
        let invite = try XCTUnwrap(pbx.expectRequest(.invite, to: Self.edge), "the INVITE goes to the Path's first hop")
        XCTAssertEqual(invite.uri.description, "sip:100@10.0.0.7:5060", "Request-URI: the contact")
        XCTAssertEqual(invite.headers.all(.route), [Self.path])

        // The phone answers through the edge, which record-routed the INVITE (two entries, as a
        // proxy with two sockets writes them).
        var ok = SIPResponse(replyingTo: invite, statusCode: 200, toTag: "far-tag")
        ok.headers.add(.recordRoute, "<sip:192.0.2.50:5070;lr;ftag=x>")
        ok.headers.add(.recordRoute, "<sip:203.0.113.9;lr>")
        ok.headers.add(.contact, "<sip:100@10.0.0.7:5060>")
        ok.headers.add(.contentType, "application/sdp")
        ok.body = ByteBuffer(string: H.answerSDP(host: "10.0.0.7"))
        pbx.receive(.response(ok), from: Self.edge)
        let ack = try XCTUnwrap(pbx.expectRequest(.ack, to: Self.edge))
        XCTAssertEqual(ack.headers.all(.route), ["<sip:203.0.113.9;lr>", "<sip:192.0.2.50:5070;lr;ftag=x>"], "Record-Route reversed")
        XCTAssertEqual(ack.uri.description, "sip:100@10.0.0.7:5060")

        // 101 (registered directly) answers; then hangs up: the BYE to 100 follows the route set.
        let toCallee = try XCTUnwrap(pbx.expectRequest(.invite, to: H.phone101))
        XCTAssertEqual(toCallee.headers.all(.route), [], "no Path, no Route")
        pbx.respond(to: toCallee, 200, from: H.phone101)
        XCTAssertNotNil(pbx.expectRequest(.ack, to: H.phone101))
        pbx.farEndBye(dialogOf: toCallee, from: H.phone101)
        let bye = try XCTUnwrap(pbx.expectRequest(.bye, to: Self.edge))
        XCTAssertEqual(bye.headers.all(.route), ["<sip:203.0.113.9;lr>", "<sip:192.0.2.50:5070;lr;ftag=x>"])
        XCTAssertEqual(bye.uri.description, "sip:100@10.0.0.7:5060")
        pbx.respond(to: bye, 200, from: Self.edge)
        pbx.assertIdle()
    }
}
