import Foundation
import ICLDescription
import Testing

/// A small description with one field of each kind.
private struct Sample: Described, Equatable {
    enum Shape: String, Choice { case round, square }
    var count = 3
    var flag = false
    var rate = 0.5
    var limit: Double?
    var width: Int?
    var shape = Shape.round
    var shapes: [Shape]?
    var note = ""
    var added = Shape.round

    init() {}

    static let fields: [Field<Sample>] = [
        Field("count", \.count, .recipeAndModel), Field("flag", \.flag, .recipeAndModel),
        Field("rate", \.rate, .recipeAndModel), Field("limit", \.limit, .recipeAndModel),
        Field("width", \.width, .recipeAndModel), Field("shape", \.shape, .recipeAndModel),
        Field("shapes", \.shapes, .recipeAndModel), Field("note", \.note),
        Field("added", \.added, .omittedWhenDefault),
    ]
}

private func decode(_ json: String) throws -> Sample {
    try JSONDecoder().decode(Sample.self, from: Data(json.utf8))
}

private func encode(_ sample: Sample) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(sample), as: UTF8.self)
}

@Suite("Field tables: strict JSON and checkpoint attributes from one list")
struct FieldTests {
    @Test func missingKeysKeepTheDefaultsAndEveryKeyIsRead() throws {
        #expect(try decode("{}") == Sample())
        let read = try decode(
            #"{"count": 7, "flag": true, "limit": 2.5, "shapes": ["square", "round"], "added": "square"}"#)
        #expect(
            read.count == 7 && read.flag && read.limit == 2.5 && read.shapes == [.square, .round]
                && read.added == .square)
    }

    @Test func encodingWritesNullsAndLeavesOutANewFieldAtItsDefault() throws {
        #expect(
            try encode(Sample()) == #"{"count":3,"flag":false,"limit":null,"note":"","rate":0.5,"shape":"round","#
                + #""shapes":null,"width":null}"#)
        var changed = Sample()
        changed.added = .square
        #expect(try encode(changed).contains(#""added":"square""#))
        #expect(try decode(try encode(changed)) == changed)
    }

    @Test(arguments: [
        (#"{"cuont": 1}"#, "unknown field 'cuont'"),
        (#"{"shape": "oval"}"#, "shape: unknown value 'oval' (known: round, square)"),
        (#"{"shapes": ["round", "oval"]}"#, "shapes: unknown value 'oval'"),
    ])
    func badJSONNamesTheField(json: String, expected: String) {
        #expect(throws: RecipeError.self) { try decode(json) }
        do { _ = try decode(json) } catch { #expect("\(error)".contains(expected), "\(error)") }
    }

    @Test func attributesRoundTripAndAreCheckedByType() throws {
        var sample = Sample()
        sample.flag = true
        sample.limit = 2
        sample.width = 5
        sample.shapes = [.square]
        var read = Sample()
        for field in Sample.fields where field.stored {
            try field.setAttribute(&read, field.attribute(sample))
        }
        #expect(read.flag && read.limit == 2 && read.width == 5 && read.shapes == [.square])
        let attributes = Dictionary(uniqueKeysWithValues: Sample.fields.map { ($0.name, $0.attribute(sample)) })
        #expect(
            attributes["flag"] == .int(1) && attributes["limit"] == .double(2)
                && attributes["shapes"] == .string("square"))
        #expect(Sample.fields[3].attribute(Sample()) == .double(0))  // an unset optional number: 0
        // Only a changed `omittedWhenDefault` field is written.
        let added = Sample.fields.last!
        #expect(!added.isWritten(Sample()) && added.defaultAttribute == .string("round"))
        var square = Sample()
        square.added = .square
        #expect(added.isWritten(square))
        // Wrong values are refused, each with what was expected.
        let flag = Sample.fields[1], limit = Sample.fields[3], shape = Sample.fields[5]
        #expect(throws: FieldError.self) { try flag.setAttribute(&read, .int(2)) }
        #expect(throws: FieldError.self) { try limit.setAttribute(&read, .double(-1)) }
        #expect(throws: FieldError.self) { try shape.setAttribute(&read, .string("oval")) }
        #expect(throws: FieldError.self) { try Sample.fields[2].setAttribute(&read, .double(.nan)) }
    }
}
