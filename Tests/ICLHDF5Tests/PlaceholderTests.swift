import Testing
@Test func placeholder_ICLHDF5Tests() { #expect(1 + 1 == 2) }
