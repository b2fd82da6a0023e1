import NIOCore

extension AMIResponse {
    /// Writes Ping's reply straight into `buffer`: the same bytes as
    /// `AMIResponse(.success, actionID: actionID, fields: [("Ping", "Pong"), ("Timestamp", AMITime.timestamp(now))])`
    /// without building the response, its field list or the timestamp string. Ping is what keep-alives and
    /// monitors send most, so its reply costs a few static writes.
    public static func writePong(actionID: String, now: Double, to buffer: inout ByteBuffer) {
        buffer.writeStaticString("Response: Success\r\n")
        if !actionID.isEmpty {
            buffer.writeAMIField("ActionID", actionID)
        }
        buffer.writeStaticString("Ping: Pong\r\nTimestamp: ")
        let micros = Int64((now * 1_000_000).rounded(.down))
        if micros < 0 {
            buffer.writeString(AMITime.timestamp(now))
        } else {
            // Seconds (a small string: no allocation), then `.` and six digits of microseconds.
            buffer.writeString(String(micros / 1_000_000))
            var fraction = Int(micros % 1_000_000)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 7) { out in
                out[0] = UInt8(ascii: ".")
                for index in stride(from: 6, through: 1, by: -1) {
                    out[index] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                return 7
            }
        }
        buffer.writeStaticString("\r\n\r\n")
    }
}
