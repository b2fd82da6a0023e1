import NIOCore
import XCTest

@testable import SIP

/// RFC 4475 §3.1.1: valid messages, each named after its torture file.
final class TortureValidTests: XCTestCase {
    func test_wsinv() throws {
        let request = try TortureFixtures.request("valid", "wsinv")
        XCTAssertEqual(request.method, .invite)
        XCTAssertEqual(request.uri.parameters.contains("unknownparam"), true)
        let to = try XCTUnwrap(request.headers.to)
        XCTAssertEqual(to.uri.user, "vivekg")
        XCTAssertEqual(to.tag, "1918181833n")
        let from = try XCTUnwrap(request.headers.from)
        XCTAssertEqual(from.displayName, "J Rosenberg \\\"")
        XCTAssertEqual(from.tag, "98asjd8")
        XCTAssertEqual(request.headers.maxForwards, 68)
        XCTAssertEqual(request.headers.cseq, SIPCSeq(number: 9, method: .invite))
        let vias = try XCTUnwrap(request.headers.vias)
        XCTAssertEqual(vias.map(\.host), ["192.0.2.2", "spindle.example.com", "192.168.255.111"])
        XCTAssertEqual(vias.map(\.transport), ["UDP", "TCP", "UDP"])
        XCTAssertEqual(vias.map(\.branch), ["390skdjuw", "z9hG4bK9ikj8", "z9hG4bK30239"])
        XCTAssertEqual(request.headers[.subject], "")
        XCTAssertEqual(
            request.headers[SIPHeaderName("newfangledheader")],
            "newfangled value continued newfangled value")
        XCTAssertEqual(request.headers[SIPHeaderName("UnknownHeaderWithUnusualValue")], ";;,,;;,;")
        let contact = try XCTUnwrap(request.headers.contacts?.first)
        XCTAssertEqual(contact.displayName, "Quoted string \"\"")
        XCTAssertEqual(contact.parameters["newparam"], "newvalue")
        XCTAssertTrue(contact.parameters.contains("secondparam"))
        XCTAssertEqual(contact.q, 0.33)
        let route = try XCTUnwrap(request.headers.routes?.first)
        XCTAssertEqual(route.uri.parameters["unknownwith"], "value")
        XCTAssertTrue(route.uri.parameters.contains("lr"))
        XCTAssertEqual(request.body.readableBytes, 150)
    }

    func test_intmeth() throws {
        let request = try TortureFixtures.request("valid", "intmeth")
        XCTAssertEqual(request.method.rawValue, "!interesting-Method0123456789_*+`.%indeed'~")
        XCTAssertEqual(request.uri.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        XCTAssertEqual(request.uri.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        XCTAssertEqual(request.uri.host, "example.com")
        XCTAssertEqual(request.headers.to?.displayName, "BEL:\u{07} NUL:\u{00} DEL:\u{7F}")
        let from = try XCTUnwrap(request.headers.from)
        XCTAssertEqual(from.displayName, "token1~` token2'+_ token3*%!.-")
        XCTAssertEqual(from.parameters["fromParam''~+*_!.-%"], "работающий")
        XCTAssertEqual(from.tag, "_token~1'+`*%!-.")
        XCTAssertEqual(request.headers.callID, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
        XCTAssertEqual(request.headers.cseq?.method, request.method)
        XCTAssertEqual(request.headers.topVia?.branch, "z9hG4bK-.!%66*_+`'~")
        XCTAssertEqual(request.headers[SIPHeaderName("extensionHeader-!.%*+_`'~")], "\u{FEFF}大停電")
    }

    func test_esc01() throws {
        let request = try TortureFixtures.request("valid", "esc01")
        XCTAssertEqual(request.uri.user, "sips:user@example.com")
        XCTAssertEqual(request.uri.host, "example.net")
        XCTAssertEqual(request.headers.to?.uri.user, "user")
        XCTAssertEqual(request.headers.from?.uri.user, "I have spaces")
        let contact = try XCTUnwrap(request.headers.contacts?.first)
        XCTAssertEqual(contact.uri.user, "caller")
        XCTAssertTrue(contact.uri.parameters.contains("lr"))
        XCTAssertEqual(contact.uri.parameters["name"], "value%41")
        XCTAssertEqual(request.headers[.contentType], "application/sdp")
    }

    func test_escnull() throws {
        let request = try TortureFixtures.request("valid", "escnull")
        XCTAssertEqual(request.headers.to?.uri.user, "null-\u{0}-null")
        XCTAssertEqual(request.headers.contacts?.map(\.uri.user), ["\u{0}", "\u{0}\u{0}"])
        XCTAssertEqual(request.headers.contentLength, 0)
    }

    func test_esc02() throws {
        let request = try TortureFixtures.request("valid", "esc02")
        XCTAssertEqual(request.method.rawValue, "RE%47IST%45R")
        XCTAssertNotEqual(request.method, .register)
        XCTAssertEqual(request.headers.to?.displayName, "%Z%45")
        XCTAssertEqual(request.headers.contacts?.count, 2)
        XCTAssertEqual(request.headers[SIPHeaderName("C%6Fntact")], "<sip:alias2@host2.example.com>")
        XCTAssertEqual(request.headers.topVia?.branch, "z9hG4bK209%fzsnel234")
    }

    func test_lwsdisp() throws {
        let request = try TortureFixtures.request("valid", "lwsdisp")
        XCTAssertEqual(request.headers.from?.displayName, "caller")
        XCTAssertEqual(request.headers.from?.tag, "323")
    }

    func test_longreq() throws {
        let request = try TortureFixtures.request("valid", "longreq")
        let vias = try XCTUnwrap(request.headers.vias)
        XCTAssertEqual(vias.count, 34)
        XCTAssertEqual(vias.first?.host, "sip33.example.com")
        XCTAssertEqual(vias.last?.received, "192.0.2.5")
        XCTAssertEqual(request.headers.to?.uri.port, 6000)
        XCTAssertTrue(request.headers.to?.displayName?.hasPrefix("I have a user name of extreme") ?? false)
        XCTAssertEqual(request.body.readableBytes, 150)
    }

    func test_dblreq() throws {
        // Only the first message of the datagram counts; the INVITE after it is ignored.
        let request = try TortureFixtures.request("valid", "dblreq")
        XCTAssertEqual(request.method, .register)
        XCTAssertEqual(request.body.readableBytes, 0)
        XCTAssertEqual(request.headers.callID, "dblreq.0ha0isndaksdj99sdfafnl3lk233412")
    }

    func test_semiuri() throws {
        let request = try TortureFixtures.request("valid", "semiuri")
        XCTAssertEqual(request.uri.user, "user;par=u@example.net")
        XCTAssertEqual(request.uri.host, "example.com")
        XCTAssertTrue(request.uri.parameters.isEmpty)
        XCTAssertEqual(request.headers.values(.accept).count, 6)
    }

    func test_transports() throws {
        let request = try TortureFixtures.request("valid", "transports")
        XCTAssertEqual(request.headers.vias?.map(\.transport), ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"])
        XCTAssertEqual(request.headers.callID, "transports.kijh4akdnaqjkwendsasfdj")
    }

    func test_mpart01() throws {
        let request = try TortureFixtures.request("valid", "mpart01")
        XCTAssertEqual(request.method, .message)
        XCTAssertEqual(request.body.readableBytes, 553)
        XCTAssertEqual(request.headers.topVia?.hasRport, true)
    }

    func test_unreason() throws {
        let response = try XCTUnwrap(try TortureFixtures.parse("valid", "unreason").response)
        XCTAssertEqual(response.statusCode, 200)
        XCTAssertTrue(response.reasonPhrase.hasPrefix("= 2**3 * 5**2 но сто"))
        XCTAssertEqual(response.body.readableBytes, 154)
    }

    func test_noreason() throws {
        let response = try XCTUnwrap(try TortureFixtures.parse("valid", "noreason").response)
        XCTAssertEqual(response.statusCode, 100)
        XCTAssertEqual(response.reasonPhrase, "")
    }

    func test_everyValidFileParses() throws {
        let names = try TortureFixtures.names("valid")
        XCTAssertEqual(names.count, 13)
        for name in names {
            XCTAssertNoThrow(try TortureFixtures.parse("valid", name), name)
        }
    }
}
