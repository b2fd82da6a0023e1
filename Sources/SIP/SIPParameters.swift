/// An ordered list of parameters with case-insensitive lookup by name.
///
/// Used for header parameters (`;tag=`, `;branch=`, `;expires=`) and URI parameters
/// (`;transport=`, `;lr`). Order is kept so that serializing gives back what was parsed.
public struct SIPParameters: Sendable, Hashable, Sequence {
    private var storage: [SIPParameter]

    public init(_ parameters: [SIPParameter] = []) {
        storage = parameters
    }

    public func makeIterator() -> IndexingIterator<[SIPParameter]> {
        storage.makeIterator()
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// The first parameter called `name`, ignoring case.
    public func parameter(_ name: String) -> SIPParameter? {
        storage.first { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Whether a parameter called `name` is present, with or without a value.
    public func contains(_ name: String) -> Bool {
        parameter(name) != nil
    }

    /// The value of `name`: nil when absent, `""` for a flag without a value.
    /// Setting a value replaces the first parameter of that name or appends one;
    /// setting nil removes every parameter of that name.
    public subscript(name: String) -> String? {
        get {
            guard let parameter = parameter(name) else { return nil }
            return parameter.value ?? ""
        }
        set {
            guard let newValue else {
                storage.removeAll { $0.name.equalsIgnoringASCIICase(name) }
                return
            }
            set(SIPParameter(name: name, value: newValue))
        }
    }

    /// Replaces the first parameter with the same name, or appends.
    public mutating func set(_ parameter: SIPParameter) {
        if let index = storage.firstIndex(where: { $0.name.equalsIgnoringASCIICase(parameter.name) }) {
            storage[index] = parameter
        } else {
            storage.append(parameter)
        }
    }

    /// Appends a parameter even if one of the same name exists.
    public mutating func append(_ parameter: SIPParameter) {
        storage.append(parameter)
    }
}

extension SIPParameters {
    /// Parses `*( SEMI generic-param )` of a header field, where `generic-param` is
    /// `token [ EQUAL ( token / host / quoted-string ) ]`. Whitespace around `;` and `=` is
    /// allowed (RFC 4475 `wsinv`). Stops, without consuming it, at a `,` or the end; returns nil
    /// on anything else (an empty name such as `;;` in RFC 4475 `badinv01`).
    static func parseHeaderParameters(_ scanner: inout SIPScanner) -> SIPParameters? {
        var parameters = SIPParameters()
        while true {
            let beforeSemicolon = scanner.index
            scanner.skipWhitespace()
            if scanner.isAtEnd || scanner.peek() == UInt8(ascii: ",") {
                scanner.reset(to: beforeSemicolon)
                return parameters
            }
            guard scanner.consumeSeparator(UInt8(ascii: ";")), let name = scanner.readToken() else {
                return nil
            }
            guard scanner.consumeSeparator(UInt8(ascii: "=")) else {
                parameters.append(SIPParameter(name: String(name)))
                continue
            }
            if scanner.peek() == UInt8(ascii: "\"") {
                guard let value = scanner.readQuotedString() else { return nil }
                parameters.append(SIPParameter(name: String(name), value: value, isQuoted: true))
            } else {
                // token, or a host: IPv6 references `[..]` and bare IPv6 in `received`.
                let value = scanner.read { byte in
                    SIPSyntax.isToken(byte) || byte == UInt8(ascii: ":")
                        || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                }
                guard !value.isEmpty else { return nil }
                parameters.append(SIPParameter(name: String(name), value: String(value)))
            }
        }
    }

    /// Writes `;name=value` for each parameter, quoting values that were quoted.
    func writeHeaderParameters(into output: inout String) {
        for parameter in storage {
            output += ";"
            output += parameter.name
            guard let value = parameter.value else { continue }
            output += "="
            if parameter.isQuoted {
                output += SIPQuoting.quote(value)
            } else {
                output += value
            }
        }
    }
}
