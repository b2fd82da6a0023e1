/// The arguments of `Dial(Tech/resource[&Tech2/resource2],timeout,options,URL)` as `app_dial.c` reads them.
public struct DialArguments: Sendable, Hashable {
    /// One destination: `PJSIP/101` or `PJSIP/391234567@carrier`.
    public struct Target: Sendable, Hashable {
        /// The channel technology (`PJSIP`, `Local`).
        public var technology: String
        /// Everything after the first `/`: what DialBegin reports as `DialString`.
        public var resource: String

        public init(technology: String, resource: String) {
            self.technology = technology
            self.resource = resource
        }

        /// For PJSIP targets: the endpoint (`carrier` in `391234567@carrier`, `101` in `101`).
        public var endpoint: String {
            guard let at = resource.lastIndex(of: "@") else { return resource }
            return String(resource[resource.index(after: at)...])
        }

        /// For PJSIP targets: the number to put in the Request-URI when the resource has `number@endpoint`.
        public var number: String? {
            guard let at = resource.lastIndex(of: "@") else { return nil }
            return String(resource[..<at])
        }
    }

    /// A one-letter option, with its parenthesised argument if it has one (`L(60000)`).
    public struct Option: Sendable, Hashable {
        public var letter: Character
        public var argument: String?
    }

    public var targets: [Target]
    /// Ring timeout in whole seconds (at least 1); nil means ring forever (absent, zero, negative or
    /// invalid, as Asterisk treats it).
    public var timeout: Int? { timeoutMilliseconds.map { max(1, $0 / 1_000) } }
    /// Ring timeout in milliseconds, within `DurationArgument.maximumMilliseconds`; nil: ring forever.
    public var timeoutMilliseconds: Int?
    public var options: [Option]
    public var url: String?

    /// Targets without a `/` are skipped, as Asterisk skips them with a warning.
    public init(_ data: String) {
        let arguments = ApplicationArguments.split(data)
        let peers = arguments.first ?? ""
        targets = peers.split(separator: "&").compactMap { peer in
            guard let slash = peer.firstIndex(of: "/") else { return nil }
            return Target(technology: String(peer[..<slash]), resource: String(peer[peer.index(after: slash)...]))
        }
        timeoutMilliseconds = arguments.count > 1 ? Self.timeoutMilliseconds(arguments[1]) : nil
        options = arguments.count > 2 ? Self.parseOptions(arguments[2]) : []
        url = arguments.count > 3 ? arguments[3] : nil
    }

    /// The answer timeout of `Dial`'s second argument as `app_dial.c` reads it: the part before a
    /// `^` (the progress timeout follows it) is `sscanf("%30lf")` seconds; absent, not a number, NaN,
    /// zero or negative gives nil (ring forever, Asterisk logs "Invalid answer timeout"); a huge value
    /// is clamped to `DurationArgument.maximumMilliseconds`.
    public static func timeoutMilliseconds(_ text: String) -> Int? {
        let answer = ApplicationArguments.splitOnce(text, at: "^").head
        let (seconds, _) = DurationArgument.scanNumber(Substring(answer).drop { $0 == " " || $0 == "\t" })
        guard let seconds, seconds > 0, let milliseconds = DurationArgument.clamp(seconds * 1_000), milliseconds > 0 else { return nil }
        return milliseconds
    }

    /// The option `letter`, if present.
    public func option(_ letter: Character) -> Option? {
        options.first { $0.letter == letter }
    }

    /// `ast_app_parse_options()`: letters, each optionally followed by `(argument)` with nested parentheses.
    static func parseOptions(_ text: String) -> [Option] {
        var result: [Option] = []
        let chars = Array(text)
        var index = 0
        while index < chars.count {
            let letter = chars[index]
            index += 1
            guard index < chars.count, chars[index] == "(" else {
                result.append(Option(letter: letter, argument: nil))
                continue
            }
            var depth = 1
            var argument = ""
            index += 1
            while index < chars.count {
                let c = chars[index]
                index += 1
                if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
                if depth == 0 { break }
                argument.append(c)
            }
            result.append(Option(letter: letter, argument: argument))
        }
        return result
    }
}
