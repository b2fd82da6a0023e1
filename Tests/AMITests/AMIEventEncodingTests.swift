import AMI
import NIOCore
import XCTest

final class AMIEventEncodingTests: XCTestCase {
    func testEventText() {
        let event = AMIEvent("Newstate", classes: .call, fields: [("Channel", "PJSIP/100-00000001"), ("CallerIDName", "Zoë"), ("Empty", "")])
        XCTAssertEqual(
            String(buffer: event.encoded()),
            "Event: Newstate\r\nPrivilege: call,all\r\nChannel: PJSIP/100-00000001\r\nCallerIDName: Zoë\r\nEmpty: \r\n\r\n")
        var written = ByteBuffer()
        event.write(to: &written)
        XCTAssertEqual(written, event.encoded())
    }

    /// A CR or LF in a name or value is a space: no field can add a line or end the event.
    func testLineBreaksInFieldsAreSpaces() {
        let event = AMIEvent(
            "User\r\nEvent", classes: .user, fields: [("Caller\nName", "Alice\r\n\r\nEvent: Forged\r\n"), ("X", "\r")])
        XCTAssertEqual(
            String(buffer: event.encoded()),
            "Event: User  Event\r\nPrivilege: user,all\r\nCaller Name: Alice    Event: Forged  \r\nX:  \r\n\r\n")
        var buffer = ByteBuffer()
        buffer.writeAMIText("a\rb\nc")
        XCTAssertEqual(String(buffer: buffer), "a b c")
    }

    /// Fields after the buffer's first capacity (the field writer reserves per field).
    func testLongEventGrowsItsBuffer() {
        let fields = (0..<200).map { ("Field\($0)", String(repeating: "v", count: $0)) }
        var buffer = ByteBuffer()
        buffer.writeString("x")
        AMIEvent("Big", classes: .call, fields: fields).write(to: &buffer)
        var expected = "xEvent: Big\r\nPrivilege: call,all\r\n"
        for (name, value) in fields { expected += "\(name): \(value)\r\n" }
        expected += "\r\n"
        XCTAssertEqual(String(buffer: buffer), expected)
        XCTAssertEqual(String(buffer: AMIEvent("Big", classes: .call, fields: fields).encoded()), String(expected.dropFirst()))
    }
}
