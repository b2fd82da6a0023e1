import Foundation

/// Flags win over environment variables, which win over defaults: `--ami-bind` ⇢ `CENTRALINO_AMI_BIND`.
enum EnvironmentOption {
    static func resolve(_ flag: String?, _ variable: String, default fallback: String) -> String {
        if let flag { return flag }
        if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty { return value }
        return fallback
    }

    static func resolveInt(_ flag: Int?, _ variable: String, default fallback: Int) throws -> Int {
        if let flag { return flag }
        guard let text = ProcessInfo.processInfo.environment[variable], !text.isEmpty else { return fallback }
        guard let value = Int(text) else { throw CommandFailure("\(variable)=\(text) is not a number") }
        return value
    }
}

/// A command-line failure with a message for the operator; exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `HOST:PORT`, with IPv6 hosts in brackets (`[::1]:5038`).
struct BindAddress: CustomStringConvertible {
    let host: String
    let port: Int

    init(parsing text: String, flag: String) throws {
        var host = Substring(text)
        var portText = Substring("")
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw CommandFailure("\(flag) \(text): expected [HOST]:PORT") }
            portText = rest.dropFirst()
        } else if let colon = text.lastIndex(of: ":") {
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else {
            throw CommandFailure("\(flag) \(text): expected HOST:PORT with a port from 0 to 65535")
        }
        self.host = String(host)
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
