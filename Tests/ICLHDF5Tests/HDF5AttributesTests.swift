import ICLHDF5
import ICLTestSupport
import Testing

@Suite struct HDF5AttributesTests {
    @Test func attributesRoundTripOnRootGroupsAndDatasets() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("attributes.h5")
        do {
            let file = try HDF5File.create(path)
            try file.write([Float(1)], shape: [1], at: "/model/P")
            try file.setAttribute("recipe", "lsa-1 ∑ η", at: "/")
            try file.setAttribute("format_version", Int64(1), at: "/")
            try file.setAttribute("learning_rate", 1e-3, at: "/")
            try file.setAttribute("layer", Int64(-7), at: "/model")
            try file.setAttribute("note", "", at: "/model/P")
            try file.setAttribute("eta", 0.25, at: "/model/P")
        }
        let file = try HDF5File.open(path)
        #expect(try file.attributeNames(at: "/") == ["format_version", "learning_rate", "recipe"])
        #expect(try file.attributeNames(at: "/model") == ["layer"])
        #expect(try file.attributeNames(at: "/model/P") == ["eta", "note"])
        #expect(try file.stringAttribute("recipe", at: "/") == "lsa-1 ∑ η")
        #expect(try file.intAttribute("format_version", at: "/") == 1)
        #expect(try file.doubleAttribute("learning_rate", at: "/") == 1e-3)
        #expect(try file.intAttribute("layer", at: "/model") == -7)
        #expect(try file.doubleAttribute("layer", at: "/model") == -7)  // integers read as doubles
        #expect(try file.stringAttribute("note", at: "/model/P") == "")
        #expect(try file.doubleAttribute("eta", at: "model/P") == 0.25)
    }

    @Test func settingAnAttributeAgainReplacesIt() throws {
        let directory = try TemporaryDirectory()
        let file = try HDF5File.create(directory.file("replace.h5"))
        try file.setAttribute("step", Int64(1), at: "/")
        try file.setAttribute("step", "one thousand", at: "/")
        #expect(try file.attributeNames(at: "/") == ["step"])
        #expect(try file.stringAttribute("step", at: "/") == "one thousand")
    }

    @Test func attributesAreNotConvertedAcrossKinds() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("kinds.h5")
        let file = try HDF5File.create(path)
        try file.setAttribute("eta", 0.5, at: "/")
        try file.setAttribute("recipe", "lsa-1", at: "/")
        let float = try #require(throws: HDF5Error.self) { try file.intAttribute("eta", at: "/") }
        #expect(float.description == "\(path): /: attribute 'eta' is float64, expected an integer")
        let string = try #require(throws: HDF5Error.self) { try file.doubleAttribute("recipe", at: "/") }
        #expect(string.description == "\(path): /: attribute 'recipe' is a string, expected a number")
    }
}
