import AMI
import Foundation
import NIOCore

/// Feeds a large buffer of typical messages to the frame decoder and reports messages/s.
enum DecoderBenchmark {
    static let messages = [
        "Action: Ping\r\nActionID: 12345\r\n\r\n",
        "Action: Originate\r\nAsync: true\r\nChannel: Local/100@c2c\r\nContext: from_c2c\r\nExten: 0391234567\r\n"
            + "CallerId: \"c2c: 0391234567\" <0391234567>\r\nTimeout: 10000\r\nPriority: 1\r\nVariable: C2C_SRC=100\r\n"
            + "Variable: C2C_DST=0391234567\r\nVariable: __TENANT_UUID=7d2c0e2a-1111-4222-8333-444455556666\r\nActionID: c2c-1\r\n\r\n",
    ]

    static func run() {
        for message in messages {
            let copies = 200_000
            var input = ByteBuffer()
            for _ in 0..<copies { input.writeString(message) }
            var best = 0.0
            for _ in 0..<5 {
                var buffer = input
                var decoder = AMIFrameDecoder()
                var decoded = 0
                let start = DispatchTime.now().uptimeNanoseconds
                while let _ = try? decoder.decode(buffer: &buffer) { decoded += 1 }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                precondition(decoded == copies, "decoded \(decoded) of \(copies)")
                best = max(best, Double(decoded) / seconds)
            }
            let name = message.hasPrefix("Action: Ping") ? "Ping" : "Originate (click-to-call)"
            print(String(format: "decoder %@: %.0f messages/s (best of 5, %d messages each)", name, best, copies))
        }
    }
}
