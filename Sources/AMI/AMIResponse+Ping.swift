import NIOCore

extension AMIResponse {
    /// Writes Ping's reply straight into `buffer`: the same bytes as
    /// `AMIResponse(.success, actionID: actionID, fields: [("Ping", "Pong"), ("Timestamp", AMITime.timestamp(now))])`
    /// without building the response, its field list or the timestamp string. Ping is what keep-alives and
    /// monitors send most, so its reply costs a few static writes.
    public static func writePong(actionID: String, now: Double, to buffer: inout ByteBuffer) {
        let micros = Int64((now * 1_000_000).rounded(.down))
        guard micros >= 0 else {
            buffer.writeStaticString("Response: Success\r\n")
            if !actionID.isEmpty { buffer.writeAMIField("ActionID", actionID) }
            buffer.writeStaticString("Ping: Pong\r\nTimestamp: ")
            buffer.writeString(AMITime.timestamp(now))
            buffer.writeStaticString("\r\n\r\n")
            return
        }
        var id = actionID
        id.withUTF8 { id in
            // One reservation and one write for the whole reply: each ByteBuffer write has a fixed cost.
            let maximum = 19 + (id.isEmpty ? 0 : 12 + id.count) + 23 + 19 + 7 + 4
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: maximum) { out in
                var at = 0
                func put(_ text: StaticString) {
                    let count = text.utf8CodeUnitCount
                    UnsafeMutableRawBufferPointer(rebasing: out[at..<at + count])
                        .copyMemory(from: UnsafeRawBufferPointer(start: text.utf8Start, count: count))
                    at += count
                }
                put("Response: Success\r\n")
                if !id.isEmpty {
                    put("ActionID: ")
                    // As `writeAMIField`: a CR or LF is written as a space.
                    for byte in id {
                        out[at] = byte == 0x0D || byte == 0x0A ? 0x20 : byte
                        at += 1
                    }
                    put("\r\n")
                }
                put("Ping: Pong\r\nTimestamp: ")
                // The seconds' digits, then `.` and six digits of microseconds.
                var seconds = micros / 1_000_000
                var digits = 1
                var power: Int64 = 10
                while power <= seconds, digits < 19 {
                    digits += 1
                    power &*= 10
                }
                for index in stride(from: at + digits - 1, through: at, by: -1) {
                    out[index] = UInt8(ascii: "0") + UInt8(seconds % 10)
                    seconds /= 10
                }
                at += digits
                out[at] = UInt8(ascii: ".")
                var fraction = micros % 1_000_000
                for index in stride(from: at + 6, through: at + 1, by: -1) {
                    out[index] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                at += 7
                put("\r\n\r\n")
                return at
            }
        }
    }
}
