import Foundation
import Testing

@testable import JobServer

@Suite("Lines that are no JSON-RPC message")
struct LineTransportTests {
    private func answer(_ line: String) throws -> [String: Any]? {
        guard let data = LineTransport.refusal(of: Data(line.utf8)) else { return nil }
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// JSON-RPC 2.0: an error about a request whose id cannot be known has a null id,
    /// never one the server made up.
    @Test func notJSONIsAParseErrorWithANullID() throws {
        let refused = try #require(try answer("{not json"))
        #expect(refused["id"] is NSNull)
        #expect((refused["error"] as? [String: Any])?["code"] as? Int == -32700)
        #expect(refused["jsonrpc"] as? String == "2.0")
    }

    @Test func jsonThatIsNoMessageIsAnInvalidRequest() throws {
        for line in ["42", "\"text\"", "null"] {
            let refused = try #require(try answer(line), "\(line)")
            #expect(refused["id"] is NSNull)
            #expect((refused["error"] as? [String: Any])?["code"] as? Int == -32600)
        }
        let withID = try #require(try answer(#"{"jsonrpc":"2.0","id":7}"#))
        #expect(withID["id"] as? Int == 7)
    }

    @Test func messagesAreHandedOn() throws {
        #expect(try answer(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#) == nil)
        #expect(try answer(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#) == nil)
        #expect(try answer(#"{"jsonrpc":"2.0","id":1,"result":{}}"#) == nil)
        #expect(try answer(#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#) == nil)
    }

    /// A request and its answer name the same id, whatever the id holds; the messages end
    /// after the input ended only once every request read was answered.
    @Test func requestsAreAnsweredBeforeTheMessagesEnd() {
        for id in ["7", #""a,b""#, #""q\"x,y""#, #""""#] {
            let request = Data(#"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#.utf8)
            let response = Data(#"{"id":\#(id),"jsonrpc":"2.0","result":{}}"#.utf8)
            #expect(OpenRequests.requestID(request) != nil, "\(id)")
            #expect(OpenRequests.requestID(request) == OpenRequests.responseID(response), "\(id)")
        }
        #expect(OpenRequests.responseID(Data(#"{"jsonrpc":"2.0","method":"notifications/message"}"#.utf8)) == nil)
        let open = OpenRequests()
        open.read(Data(#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#.utf8))
        open.read(Data(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.utf8))
        #expect(open.inputEnded() == false, "a request is open")
        #expect(open.answered(Data(#"{"jsonrpc":"2.0","method":"notifications/message"}"#.utf8)) == false)
        #expect(open.answered(Data(#"{"id":1,"jsonrpc":"2.0","result":{}}"#.utf8)) == true)
        #expect(OpenRequests().inputEnded() == true)
    }
}
