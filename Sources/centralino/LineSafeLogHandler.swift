import Foundation
import Logging

/// Wraps the log handler so that no log line can be forged: a CR or LF in a message or a metadata
/// value (an AMI username, a SIP header a peer sent) is written as the two characters `\r` or `\n`,
/// so every record stays on one line whatever a peer puts in it.
struct LineSafeLogHandler: LogHandler {
    private var inner: any LogHandler

    init(wrapping inner: any LogHandler) {
        self.inner = inner
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue.mapValues(Self.escaped) }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: Self.escaped(key)] = newValue.map(Self.escaped) }
    }

    func log(event: LogEvent) {
        var event = event
        event.message = Logger.Message(stringLiteral: Self.escaped(event.message.description))
        if let metadata = event.metadata {
            event.metadata = Dictionary(uniqueKeysWithValues: metadata.map { (Self.escaped($0.key), Self.escaped($0.value)) })
        }
        inner.log(event: event)
    }

    /// `text` with CR and LF written as `\r` and `\n`.
    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) else { return text }
        return text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
    }

    static func escaped(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): return .string(escaped(text))
        case .stringConvertible(let convertible): return .string(escaped(convertible.description))
        case .array(let values): return .array(values.map(escaped))
        case .dictionary(let values): return .dictionary(values.mapValues(escaped))
        }
    }
}
