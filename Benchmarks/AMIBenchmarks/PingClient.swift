import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking AMI client on a raw socket, so the client costs as little as possible.
final class PingClient: @unchecked Sendable {
    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    /// Trailing bytes of the previous read, to find `\r\n\r\n` across reads.
    private var tail: UInt32 = 0

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(host: String, port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &address.sin_addr)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw Failure(description: "cannot connect to \(host):\(port)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = try readLine()  // banner
    }

    deinit { close(fd) }

    func login(user: String, secret: String) throws {
        try send("Action: Login\r\nUsername: \(user)\r\nSecret: \(secret)\r\nEvents: off\r\n\r\n")
        try awaitMessages(1)
    }

    func sequential(seconds: Double) throws -> (Int, Double) {
        let ping = Array("Action: Ping\r\nActionID: 1\r\n\r\n".utf8)
        let start = DispatchTime.now().uptimeNanoseconds
        let end = start + UInt64(seconds * 1e9)
        var count = 0
        var now = start
        while now < end {
            try send(ping)
            try awaitMessages(1)
            count += 1
            if count % 64 == 0 { now = DispatchTime.now().uptimeNanoseconds }
        }
        return (count, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    func pipelined(count: Int) throws -> Double {
        let batchSize = 512
        let one = Array("Action: Ping\r\nActionID: 1\r\n\r\n".utf8)
        let batch = (0..<batchSize).flatMap { _ in one }
        let fd = self.fd
        let start = DispatchTime.now().uptimeNanoseconds
        let writer = Thread {
            var sent = 0
            while sent < count {
                let n = min(batchSize, count - sent)
                let length = n * (batch.count / batchSize)
                var offset = 0
                while offset < length {
                    let written = batch.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, length - offset, 0) }
                    if written <= 0 { return }
                    offset += written
                }
                sent += n
            }
        }
        writer.start()
        try awaitMessages(count)
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    private func send(_ text: String) throws { try send(Array(text.utf8)) }

    private func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, 0) }
            guard written > 0 else { throw Failure(description: "send failed") }
            offset += written
        }
    }

    /// Reads until `count` message terminators (`\r\n\r\n`) have arrived.
    private func awaitMessages(_ count: Int) throws {
        var seen = 0
        while seen < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw Failure(description: "connection closed after \(seen) of \(count) messages") }
            var state = tail
            for index in 0..<n {
                state = (state << 8) | UInt32(buffer[index])
                if state == 0x0D0A_0D0A { seen += 1 }
            }
            tail = state
        }
    }

    private func readLine() throws -> String {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            line.append(byte)
            if byte == UInt8(ascii: "\n") { break }
        }
        return String(decoding: line, as: UTF8.self)
    }
}
