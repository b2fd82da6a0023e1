import Foundation
import NIOCore

/// AMI's text protocol as JSON objects, for `/api/v1/ami/ws`: every AMI message (response or event)
/// becomes one JSON object with its keys in order, a repeated key's values as an array; a JSON object
/// from the client becomes one AMI action, an array value as the key repeated.
enum AMIWebSocketJSON {
    /// Why a client's message is not an action; answered as AMI answers a bad action.
    struct Refusal: Error {
        let actionID: String
        let message: String

        /// `{"Response":"Error","ActionID":…,"Message":…}`, the shape of AMI's error response.
        var json: String {
            var fields: [(String, [String])] = [("Response", ["Error"])]
            if !actionID.isEmpty { fields.append(("ActionID", [actionID])) }
            fields.append(("Message", [message]))
            return encode(fields)
        }
    }

    // MARK: - Client to AMI

    /// The AMI action text (`Key: Value` lines and the blank line) of one JSON object. Refused: not an
    /// object, a nested object or null, an empty key, a key with `:` or a control character, a value
    /// with CR or LF (which would end the line and smuggle in another header or action).
    static func action(fromJSON text: String) -> Result<String, Refusal> {
        guard let object = try? JSONDecoder().decode([String: Value].self, from: Data(text.utf8)) else {
            return .failure(Refusal(actionID: "", message: "Each message must be one JSON object of AMI keys and values"))
        }
        var actionID = ""
        if case .scalar(let id)? = object.first(where: { $0.key.lowercased() == "actionid" })?.value { actionID = id }
        // Action first, as AMI clients write it; the rest sorted so the same object gives the same text.
        let keys = object.keys.sorted { lhs, rhs in
            let (l, r) = (lhs.lowercased() == "action", rhs.lowercased() == "action")
            return l != r ? l : lhs < rhs
        }
        var text = ""
        for key in keys {
            guard !key.isEmpty, !key.unicodeScalars.contains(where: { $0 == ":" || $0.value < 0x20 || $0.value == 0x7F }) else {
                return .failure(Refusal(actionID: actionID, message: "Invalid key '\(printable(key))'"))
            }
            let values: [String]
            switch object[key] {
            case .scalar(let value)?: values = [value]
            case .array(let list)?: values = list
            case .invalid?, nil:
                return .failure(
                    Refusal(actionID: actionID, message: "The value of '\(key)' must be a string, a number, a boolean or an array of them"))
            }
            for value in values {
                guard !value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
                    return .failure(Refusal(actionID: actionID, message: "The value of '\(key)' contains a line break"))
                }
                text += "\(key): \(value)\r\n"
            }
        }
        return .success(text + "\r\n")
    }

    /// A JSON value as AMI text: a string as is, a number in JSON's spelling, a boolean as
    /// `true`/`false`; an array of those; anything else (null, an object, nested arrays) is invalid.
    enum Value: Decodable {
        case scalar(String)
        case array([String])
        case invalid

        init(from decoder: any Decoder) throws {
            if let container = try? decoder.singleValueContainer(), let scalar = Self.scalar(container) {
                self = .scalar(scalar)
            } else if var list = try? decoder.unkeyedContainer() {
                var values: [String] = []
                while !list.isAtEnd {
                    guard let value = try? list.decode(Value.self), case .scalar(let scalar) = value else {
                        self = .invalid
                        return
                    }
                    values.append(scalar)
                }
                self = .array(values)
            } else {
                self = .invalid
            }
        }

        private static func scalar(_ container: any SingleValueDecodingContainer) -> String? {
            if let string = try? container.decode(String.self) { return string }
            if let flag = try? container.decode(Bool.self) { return flag ? "true" : "false" }
            if let integer = try? container.decode(Int64.self) { return String(integer) }
            if let number = try? container.decode(Double.self) { return String(number) }
            return nil
        }
    }

    private static func printable(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }).prefix(64))
    }

    // MARK: - AMI to client

    /// Splits the AMI session's output into messages and encodes each as JSON. The banner line
    /// (`Asterisk Call Manager/…`) becomes `{"Banner": "…"}`. Holds at most `limit` bytes of an
    /// unfinished message: the session's own messages are far smaller, so more is an error.
    struct Splitter {
        let limit: Int
        private var pending = ByteBuffer()
        private var bannerSeen = false

        init(limit: Int) { self.limit = limit }

        struct TooLarge: Error {}

        mutating func feed(_ chunk: ByteBuffer) throws -> [String] {
            var chunk = chunk
            pending.writeBuffer(&chunk)
            var messages: [String] = []
            let view = pending.readableBytesView
            var start = view.startIndex
            if !bannerSeen {
                guard let end = view.firstIndex(of: UInt8(ascii: "\n")) else { return try keep(messages) }
                let line = String(decoding: view[start..<end], as: UTF8.self).trimmingCharacters(in: .newlines)
                messages.append(encode([("Banner", [line])]))
                bannerSeen = true
                start = end + 1
            }
            // A message ends at an empty line ("\r\n\r\n", or "\n\n" tolerated).
            var lineStart = start
            var index = start
            var lines: [Substring] = []
            while index < view.endIndex {
                if view[index] == UInt8(ascii: "\n") {
                    var lineEnd = index
                    if lineEnd > lineStart, view[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                    if lineEnd == lineStart {
                        if !lines.isEmpty { messages.append(encode(Self.fields(lines))) }
                        lines = []
                        start = index + 1
                    } else {
                        lines.append(Substring(String(decoding: view[lineStart..<lineEnd], as: UTF8.self)))
                    }
                    lineStart = index + 1
                }
                index += 1
            }
            pending.moveReaderIndex(forwardBy: start - view.startIndex)
            return try keep(messages)
        }

        private mutating func keep(_ messages: [String]) throws -> [String] {
            guard pending.readableBytes <= limit else { throw TooLarge() }
            pending.discardReadBytes()
            return messages
        }

        /// `Key: Value` lines to ordered fields, a repeated key's values gathered; a line without a
        /// colon (command output) is a value of `Output`.
        static func fields(_ lines: [Substring]) -> [(String, [String])] {
            var fields: [(String, [String])] = []
            var position: [String: Int] = [:]
            for line in lines {
                var key = "Output"
                var value = String(line)
                if let colon = line.firstIndex(of: ":") {
                    key = String(line[..<colon])
                    value = String(line[line.index(after: colon)...].drop { $0 == " " })
                }
                if let at = position[key] {
                    fields[at].1.append(value)
                } else {
                    position[key] = fields.count
                    fields.append((key, [value]))
                }
            }
            return fields
        }
    }

    /// One JSON object: a key with one value as a string, with several as an array of strings.
    static func encode(_ fields: [(String, [String])]) -> String {
        var out = "{"
        for (index, (key, values)) in fields.enumerated() {
            if index > 0 { out += "," }
            out += quote(key) + ":"
            if values.count == 1 {
                out += quote(values[0])
            } else {
                out += "[" + values.map(quote).joined(separator: ",") + "]"
            }
        }
        return out + "}"
    }

    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
