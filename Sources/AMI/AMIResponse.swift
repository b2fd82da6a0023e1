import NIOCore

/// A reply to one action: `Response:`, the echoed `ActionID:`, then the action's own fields.
public struct AMIResponse: Sendable, Equatable {
    public enum Status: String, Sendable {
        case success = "Success"
        case error = "Error"
        case goodbye = "Goodbye"
    }

    public var status: Status
    /// Echoed only when the request carried a non-empty ActionID.
    public var actionID: String
    /// The fields after ActionID, in wire order (EventList, Message, or the action's own fields).
    public var fields: [(String, String)]

    public init(_ status: Status, actionID: String, fields: [(String, String)] = []) {
        self.status = status
        self.actionID = actionID
        self.fields = fields
    }

    public static func success(_ actionID: String, message: String) -> AMIResponse {
        AMIResponse(.success, actionID: actionID, fields: [("Message", message)])
    }

    public static func error(_ actionID: String, message: String) -> AMIResponse {
        AMIResponse(.error, actionID: actionID, fields: [("Message", message)])
    }

    /// The acknowledgement of a list action: `EventList: start` then the message.
    public static func listStart(_ actionID: String, message: String) -> AMIResponse {
        AMIResponse(.success, actionID: actionID, fields: [("EventList", "start"), ("Message", message)])
    }

    public func write(to buffer: inout ByteBuffer) {
        switch status {
        case .success: buffer.writeStaticString("Response: Success\r\n")
        case .error: buffer.writeStaticString("Response: Error\r\n")
        case .goodbye: buffer.writeStaticString("Response: Goodbye\r\n")
        }
        if !actionID.isEmpty {
            buffer.writeAMIField("ActionID", actionID)
        }
        for (name, value) in fields {
            buffer.writeAMIField(name, value)
        }
        buffer.writeStaticString("\r\n")
    }

    public static func == (lhs: AMIResponse, rhs: AMIResponse) -> Bool {
        lhs.status == rhs.status && lhs.actionID == rhs.actionID
            && lhs.fields.map { $0.0 } == rhs.fields.map { $0.0 } && lhs.fields.map { $0.1 } == rhs.fields.map { $0.1 }
    }
}

extension ByteBuffer {
    /// Writes `Name: value\r\n`. This is the one place every AMI field goes through: a CR or LF in
    /// the name or value (a caller name `Alice\r\nX-Injected: yes`, a blank line that would end the
    /// message and forge another) is written as a space, so no field can add a line.
    /// One capacity reservation and one write per field (each `ByteBuffer` write has a fixed cost:
    /// with four per field, writing the fields was most of an event's encoding).
    @inlinable
    public mutating func writeAMIField(_ name: String, _ value: String) {
        var name = name
        var value = value
        name.withUTF8 { name in
            value.withUTF8 { value in
                writeWithUnsafeMutableBytes(minimumWritableBytes: name.count + value.count + 4) { out in
                    var at = Self.copyAMIText(name, to: out, at: 0)
                    out[at] = UInt8(ascii: ":")
                    out[at + 1] = UInt8(ascii: " ")
                    at = Self.copyAMIText(value, to: out, at: at + 2)
                    out[at] = 0x0D
                    out[at + 1] = 0x0A
                    return at + 2
                }
            }
        }
    }

    /// Copies `text` to `out` from `at` with every CR and LF as a space; returns the index after it.
    @inlinable
    static func copyAMIText(_ text: UnsafeBufferPointer<UInt8>, to out: UnsafeMutableRawBufferPointer, at start: Int) -> Int {
        var at = start
        for byte in text {
            out[at] = byte == 0x0D || byte == 0x0A ? 0x20 : byte
            at += 1
        }
        return at
    }

    /// Writes `text` with every CR and LF replaced by a space.
    @inlinable
    public mutating func writeAMIText(_ text: String) {
        var text = text
        text.withUTF8 { text in
            writeWithUnsafeMutableBytes(minimumWritableBytes: text.count) { out in
                Self.copyAMIText(text, to: out, at: 0)
            }
        }
    }
}
