/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-openai-requests.c: Chat Completions and Responses bodies reshaped into Messages requests, and refused with the client's field path */
#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "amq-converter.h"
#include "amq-error.h"
#include "amq-openai-chat-request.h"
#include "amq-openai-responses-request.h"
#include "amq-dialect.h"
#include "q-validator.h"

typedef enum { CHAT, RESPONSES } Api;

/* Bodies are written with ' for " to stay readable. */
static GBytes *
body_of (const char *text)
{
  char *json = g_strdelimit (g_strdup (text), "'", '"');

  return g_bytes_new_take (json, strlen (json));
}

static AmqMessagesRequest *
parse (Api api, const char *text, GError **error)
{
  g_autoptr(GBytes) body = body_of (text);
  g_autofree char *echo = NULL;

  if (api == CHAT)
    return amq_openai_chat_request_parse (body, NULL, error);
  return amq_openai_responses_request_parse (body, &echo, error);
}

static void
assert_json_equal (JsonNode *actual, const char *expected_text)
{
  g_autofree char *expected_json = g_strdelimit (g_strdup (expected_text), "'", '"');
  g_autoptr(JsonNode) expected = json_from_string (expected_json, NULL);
  g_autofree char *actual_text = json_to_string (actual, FALSE);
  g_autofree char *wanted = json_to_string (expected, FALSE);

  g_assert_nonnull (expected);
  g_assert_cmpstr (actual_text, ==, wanted);
}

static void
assert_messages (AmqMessagesRequest *request, const char *expected)
{
  g_autoptr(JsonNode) messages = json_node_init_array (json_node_alloc (), amq_messages_request_get_messages (request));

  assert_json_equal (messages, expected);
}

/* The request goes through the converter and makes a body Amazon Q accepts. */
static void
assert_converts (AmqMessagesRequest *request)
{
  g_autoptr(GError) error = NULL;
  const AmqConverterOptions kiro = { AMQ_DEFAULT_ORIGIN, AMQ_PROFILE_ARN_BUILDER_ID, 0 };
  g_autoptr(AmqConversion) conversion = amq_converter_convert (request, "claude-sonnet-4.5", &kiro, &error);
  g_autofree char *problem = NULL;

  g_assert_no_error (error);
  problem = q_validate (conversion->body, AMQ_DEFAULT_ORIGIN, NULL);
  g_assert_cmpstr (problem, ==, NULL);
}

static void
test_chat_system_and_text (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = parse (CHAT,
    "{'model':'gpt-4o','messages':[{'role':'system','content':'Be brief.'},"
    "{'role':'developer','content':[{'type':'text','text':'Answer in French.'}]},"
    "{'role':'user','content':'Bonjour'},{'role':'assistant','content':'Salut'},"
    "{'role':'user','content':[{'type':'text','text':'Encore'}]}],"
    "'temperature':0.2,'user':'u1','seed':4}", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (amq_messages_request_get_model (request), ==, "gpt-4o");
  g_assert_cmpstr (amq_messages_request_get_system (request), ==, "Be brief.\n\nAnswer in French.");
  g_assert_false (amq_messages_request_get_stream (request));
  g_assert_false (amq_messages_request_get_thinking (request));
  assert_messages (request,
    "[{'role':'user','content':[{'type':'text','text':'Bonjour'}]},"
    "{'role':'assistant','content':[{'type':'text','text':'Salut'}]},"
    "{'role':'user','content':[{'type':'text','text':'Encore'}]}]");
  assert_converts (request);
}

static void
test_chat_image (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = parse (CHAT,
    "{'model':'m','messages':[{'role':'user','content':[{'type':'text','text':'What is it?'},"
    "{'type':'image_url','image_url':{'url':'data:image/png;base64,iVBORw0KGgo=','detail':'low'}},"
    "{'type':'image_url','image_url':'data:image/jpeg;base64,/9j/4AAQ'}]}]}", &error);

  g_assert_no_error (error);
  assert_messages (request,
    "[{'role':'user','content':[{'type':'text','text':'What is it?'},"
    "{'type':'image','source':{'type':'base64','media_type':'image/png','data':'iVBORw0KGgo='}},"
    "{'type':'image','source':{'type':'base64','media_type':'image/jpeg','data':'/9j/4AAQ'}}]}]");
  assert_converts (request);
}

/* Arguments come as a string holding JSON: quotes, backslashes, CJK, emoji and nesting survive. */
static void
test_chat_tool_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = parse (CHAT,
    "{'model':'m','tools':[{'type':'function','function':{'name':'search','description':'Finds',"
    "'parameters':{'type':'object','properties':{'q':{'type':'string'}}}}}],"
    "'messages':[{'role':'user','content':'find'},"
    "{'role':'assistant','content':null,'tool_calls':[{'id':'call_1','type':'function','function':"
    "{'name':'search','arguments':'{\\'q\\':\\'\\\\\\'引号\\\\\\' C:\\\\\\\\dir 😀\\',\\'n\\':{\\'a\\':[1,{\\'b\\':null}]}}'}}]},"
    "{'role':'tool','tool_call_id':'call_1','content':'found it'},"
    "{'role':'tool','tool_call_id':'call_2','content':[{'type':'text','text':'part one'}]}]}", &error);

  g_assert_no_error (error);
  assert_messages (request,
    "[{'role':'user','content':[{'type':'text','text':'find'}]},"
    "{'role':'assistant','content':[{'type':'tool_use','id':'call_1','name':'search',"
    "'input':{'q':'\\'引号\\' C:\\\\dir 😀','n':{'a':[1,{'b':null}]}}}]},"
    "{'role':'user','content':[{'type':'tool_result','tool_use_id':'call_1','content':'found it'}]},"
    "{'role':'user','content':[{'type':'tool_result','tool_use_id':'call_2','content':[{'type':'text','text':'part one'}]}]}]");
  g_assert_cmpuint (json_array_get_length (amq_messages_request_get_tools (request)), ==, 1);
  assert_json_equal (json_array_get_element (amq_messages_request_get_tools (request), 0),
                     "{'name':'search','description':'Finds','input_schema':{'type':'object','properties':{'q':{'type':'string'}}}}");
  assert_converts (request);
}

static void
test_chat_options (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = body_of (
    "{'model':'m','stream':true,'stream_options':{'include_usage':true},'max_tokens':50,"
    "'max_completion_tokens':100,'stop':'END','reasoning_effort':'high','n':1,"
    "'messages':[{'role':'user','content':'x'},{'role':'assistant','reasoning_content':'I think','content':'so'}]}");
  gboolean include_usage = FALSE;
  g_autoptr(AmqMessagesRequest) request = amq_openai_chat_request_parse (body, &include_usage, &error);
  const char * const *stops;

  g_assert_no_error (error);
  g_assert_true (include_usage);
  g_assert_true (amq_messages_request_get_stream (request));
  g_assert_cmpint (amq_messages_request_get_max_tokens (request), ==, 100);
  stops = amq_messages_request_get_stop_sequences (request);
  g_assert_cmpstr (stops[0], ==, "END");
  g_assert_null (stops[1]);
  g_assert_true (amq_messages_request_get_thinking (request));
  g_assert_cmpint (amq_messages_request_get_thinking_budget (request), ==, 32000);
  assert_messages (request,
    "[{'role':'user','content':[{'type':'text','text':'x'}]},"
    "{'role':'assistant','content':[{'type':'thinking','thinking':'I think'},{'type':'text','text':'so'}]}]");
}

static void
test_tool_choice (void)
{
  static const struct {
    Api         api;
    const char *choice;
    guint       n_tools;
  } rows[] = {
    { CHAT, "'auto'", 2 },
    { CHAT, "'required'", 2 },
    { CHAT, "'none'", 0 },
    { CHAT, "{'type':'function','function':{'name':'b'}}", 1 },
    { RESPONSES, "{'type':'function','name':'a'}", 1 },
    { RESPONSES, "'none'", 0 },
    { RESPONSES, "{'type':'allowed_tools','mode':'auto','tools':[]}", 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = rows[i].api == CHAT
        ? g_strdup_printf ("{'model':'m','tool_choice':%s,'messages':[{'role':'user','content':'x'}],'tools':["
                           "{'type':'function','function':{'name':'a'}},{'type':'function','function':{'name':'b'}},"
                           "{'type':'custom','custom':{'name':'c'}}]}", rows[i].choice)
        : g_strdup_printf ("{'model':'m','tool_choice':%s,'input':'x','tools':[{'type':'function','name':'a'},"
                           "{'type':'web_search'},{'type':'function','name':'b'}]}", rows[i].choice);
      g_autoptr(AmqMessagesRequest) request = parse (rows[i].api, text, &error);

      g_test_message ("row %u", i);
      g_assert_no_error (error);
      g_assert_cmpuint (json_array_get_length (amq_messages_request_get_tools (request)), ==, rows[i].n_tools);
    }
}

static void
test_responses_items (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = body_of (
    "{'model':'gpt-5','instructions':'Be exact.','store':true,'max_output_tokens':64,"
    "'reasoning':{'effort':'low','summary':'auto'},'stream':true,"
    "'tools':[{'type':'function','name':'shell','description':'Runs','parameters':{'type':'object'},'strict':false}],"
    "'input':[{'role':'developer','content':'Use tools.'},"
    "{'type':'message','role':'user','content':[{'type':'input_text','text':'List files'},"
    "{'type':'input_image','image_url':'data:image/webp;base64,UklGRg==','detail':'auto'}]},"
    "{'type':'reasoning','id':'rs_1','summary':[{'type':'summary_text','text':'Plan'}],'encrypted_content':null},"
    "{'type':'function_call','id':'fc_1','call_id':'call_9','name':'shell','arguments':'{\\'cmd\\':[\\'ls\\',\\'-la\\']}'},"
    "{'type':'function_call_output','call_id':'call_9','output':'a.txt'},"
    "{'role':'assistant','content':[{'type':'output_text','text':'One file.','annotations':[]}]},"
    "{'role':'user','content':'Thanks'}]}");
  g_autofree char *echo = NULL;
  g_autoptr(AmqMessagesRequest) request = amq_openai_responses_request_parse (body, &echo, &error);
  g_autofree char *object_text = NULL;
  g_autoptr(JsonNode) echoed = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (amq_messages_request_get_system (request), ==, "Be exact.\n\nUse tools.");
  g_assert_true (amq_messages_request_get_stream (request));
  g_assert_cmpint (amq_messages_request_get_max_tokens (request), ==, 64);
  g_assert_cmpint (amq_messages_request_get_thinking_budget (request), ==, 4000);
  assert_messages (request,
    "[{'role':'user','content':[{'type':'text','text':'List files'},"
    "{'type':'image','source':{'type':'base64','media_type':'image/webp','data':'UklGRg=='}}]},"
    "{'role':'assistant','content':[{'type':'thinking','thinking':'Plan'}]},"
    "{'role':'assistant','content':[{'type':'tool_use','id':'call_9','name':'shell','input':{'cmd':['ls','-la']}}]},"
    "{'role':'user','content':[{'type':'tool_result','tool_use_id':'call_9','content':'a.txt'}]},"
    "{'role':'assistant','content':[{'type':'text','text':'One file.'}]},"
    "{'role':'user','content':[{'type':'text','text':'Thanks'}]}]");
  assert_converts (request);
  /* the response object repeats the request's settings */
  object_text = g_strconcat ("{", echo, "}", NULL);
  echoed = json_from_string (object_text, NULL);
  g_assert_nonnull (echoed);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (echoed), "instructions"), ==, "Be exact.");
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (echoed), "max_output_tokens"), ==, 64);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (json_node_get_object (echoed), "tools")), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (echoed), "tool_choice"), ==, "auto");
}

static void
test_responses_string_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = parse (RESPONSES, "{'model':'m','input':'Hello 👋 世界'}", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (amq_messages_request_get_system (request), ==, "");
  g_assert_cmpint (amq_messages_request_get_max_tokens (request), >, 0);
  assert_messages (request, "[{'role':'user','content':[{'type':'text','text':'Hello 👋 世界'}]}]");
}

typedef struct {
  Api         api;
  const char *body;
  const char *message;   /* the whole message, or its start when it ends in "…" */
} BadRow;

static const BadRow bad_rows[] = {
  { CHAT, "{'model':'m','n':2,'messages':[{'role':'user','content':'x'}]}",
    "n: only n = 1 is supported (one choice per request)" },
  { CHAT, "{'messages':[{'role':'user','content':'x'}]}", "model: Field required" },
  { CHAT, "{'model':5,'messages':[{'role':'user','content':'x'}]}", "model: Input should be a valid string (got number)" },
  { CHAT, "{'model':'m'}", "messages: Field required" },
  { CHAT, "{'model':'m','messages':{}}", "messages: Input should be a valid list" },
  { CHAT, "{'model':'m','messages':[{'role':'system','content':'x'}]}",
    "messages: at least one user or assistant message is required" },
  { CHAT, "{'model':'m','messages':[{'role':'robot','content':'x'}]}",
    "messages[0].role: Input should be 'system', 'developer', 'user', 'assistant' or 'tool'" },
  { CHAT, "{'model':'m','messages':[{'content':'x'}]}", "messages[0].role: Field required" },
  { CHAT, "{'model':'m','messages':[{'role':'user'}]}", "messages[0].content: Field required" },
  { CHAT, "{'model':'m','messages':[{'role':'system','content':7},{'role':'user','content':'x'}]}",
    "messages[0].content: Input should be a string or a list of blocks" },
  { CHAT, "{'model':'m','messages':[{'role':'system','content':[{'type':'text'}]},{'role':'user','content':'x'}]}",
    "messages[0].content[0].text: Field required" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':[{'type':'text','text':'a'},{'type':'image_url','image_url':{'url':'https://example.com/cat.png'}}]}]}",
    "messages[0].content[1].image_url.url: remote image URLs are not supported (Amazon Q cannot fetch them); "
    "send the image inline as a data URL (data:image/png;base64,...)" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':'data:image/png;base64,***'}}]}]}",
    "messages[0].content[0].image_url.url: The image data is not valid base64" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':'data:image/bmp;base64,AAAA'}}]}]}",
    "messages[0].content[0].image_url.url: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':[{'type':'image_url','image_url':{'url':'data:image/png,plain'}}]}]}",
    "messages[0].content[0].image_url.url: Input should be a base64 data URL (data:image/png;base64,...)" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':[{'type':'input_audio','input_audio':{}}]}]}",
    "messages[0].content[0].type: 'input_audio' parts are not supported; send text or image_url parts" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'assistant','tool_calls':[{'id':'c','type':'function','function':{'name':'f','arguments':'{\\'a\\':'}}]}]}",
    "messages[1].tool_calls[0].function.arguments: not valid JSON: …" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'assistant','tool_calls':[{'id':'c','type':'function','function':{'name':'f','arguments':'[1]'}}]}]}",
    "messages[1].tool_calls[0].function.arguments: Input should be a JSON object" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'assistant','tool_calls':[{'id':'c','type':'function','function':{'name':'f'}}]}]}",
    "messages[1].tool_calls[0].function.arguments: Field required" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'assistant','tool_calls':[{'type':'function','function':{'name':'f','arguments':'{}'}}]}]}",
    "messages[1].tool_calls[0].id: Field required" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'assistant','tool_calls':[{'id':'c','type':'function','function':{'name':'','arguments':'{}'}}]}]}",
    "messages[1].tool_calls[0].function.name: String should have at least 1 character" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'assistant','tool_calls':[{'id':'c','type':'function','function':{'name':'f','arguments':'{}'}}]},{'role':'tool','content':'r'}]}",
    "messages[2].tool_call_id: Field required" },
  { CHAT, "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'tool','tool_call_id':'c','content':[{'type':'text','text':5}]}]}",
    "messages[1].content[0].text: Input should be a valid string" },
  { CHAT, "{'model':'m','messages':[{'role':'function','name':'f','content':'x'}]}",
    "messages[0].role: legacy function messages are not supported; answer tool_calls with tool messages" },
  { CHAT, "{'model':'m','functions':[{'name':'f'}],'messages':[{'role':'user','content':'x'}]}",
    "functions: the legacy functions API is not supported; use tools and tool_choice" },
  { CHAT, "{'model':'m','tools':[{'type':'function','function':{'description':'d'}}],'messages':[{'role':'user','content':'x'}]}",
    "tools[0].function.name: Field required" },
  { CHAT, "{'model':'m','tools':[{'type':'function','function':{'name':'f','parameters':'object'}}],'messages':[{'role':'user','content':'x'}]}",
    "tools[0].function.parameters: Input should be an object" },
  { CHAT, "{'model':'m','tools':[{'type':'function'}],'messages':[{'role':'user','content':'x'}]}",
    "tools[0].function: Field required" },
  { CHAT, "{'model':'m','tool_choice':{'type':'function','function':{'name':'nope'}},'tools':[{'type':'function','function':{'name':'f'}}],'messages':[{'role':'user','content':'x'}]}",
    "tool_choice.function.name: no function named 'nope' in tools" },
  { CHAT, "{'model':'m','tool_choice':'always','messages':[{'role':'user','content':'x'}]}",
    "tool_choice: Input should be 'none', 'auto', 'required' or a function to call" },
  { CHAT, "{'model':'m','stop':5,'messages':[{'role':'user','content':'x'}]}", "stop: Input should be a valid list" },
  { CHAT, "{'model':'m','stop':['a',1],'messages':[{'role':'user','content':'x'}]}", "stop[1]: Input should be a valid string" },
  { CHAT, "{'model':'m','max_tokens':0,'messages':[{'role':'user','content':'x'}]}",
    "max_tokens: Input should be greater than or equal to 1" },
  { CHAT, "{'model':'m','max_completion_tokens':'9','messages':[{'role':'user','content':'x'}]}",
    "max_completion_tokens: Input should be a valid integer (got string)" },
  { CHAT, "{'model':'m','stream':'yes','messages':[{'role':'user','content':'x'}]}", "stream: Input should be a valid boolean" },
  { CHAT, "{'model':'m','reasoning_effort':'max','messages':[{'role':'user','content':'x'}]}",
    "reasoning_effort: Input should be 'none', 'minimal', 'low', 'medium', 'high' or 'xhigh'" },
  { CHAT, "{'model':'m',", "request body is not valid JSON: …" },
  { CHAT, "[]", "request body must be a JSON object" },
  { RESPONSES, "{'model':'m','previous_response_id':'resp_1','input':'x'}",
    "previous_response_id: responses are not stored here (requests are stateless, store is treated as false); "
    "send the whole conversation in input" },
  { RESPONSES, "{'model':'m','conversation':'conv_1','input':'x'}",
    "conversation: conversations are not stored here (requests are stateless); send the whole conversation in input" },
  { RESPONSES, "{'model':'m','background':true,'input':'x'}",
    "background: background responses need stored responses; requests are stateless here" },
  { RESPONSES, "{'model':'m'}", "input: Field required" },
  { RESPONSES, "{'model':'m','input':5}", "input: Input should be a string or a list of items" },
  { RESPONSES, "{'model':'m','input':[{'role':'developer','content':'x'}]}",
    "input: at least one user or assistant message is required" },
  { RESPONSES, "{'model':'m','input':[{'type':'item_reference','id':'msg_1'}]}",
    "input[0]: item references need stored responses; requests are stateless here (store is treated as false): "
    "send the items themselves" },
  { RESPONSES, "{'model':'m','input':[{'type':'computer_call','id':'c'}]}",
    "input[0].type: 'computer_call' items are not supported; send message, function_call, function_call_output or reasoning items" },
  { RESPONSES, "{'model':'m','input':[{'id':'x'}]}", "input[0].type: Field required" },
  { RESPONSES, "{'model':'m','input':[{'role':'tool','content':'x'}]}",
    "input[0].role: Input should be 'user', 'assistant', 'system' or 'developer'" },
  { RESPONSES, "{'model':'m','input':[{'role':'user','content':[{'type':'input_file','file_id':'f'}]}]}",
    "input[0].content[0].type: 'input_file' parts are not supported; send input_text or input_image parts" },
  { RESPONSES, "{'model':'m','input':[{'role':'user','content':[{'type':'input_image','file_id':'file_1'}]}]}",
    "input[0].content[0].file_id: uploaded files are not available here; send image_url as a data URL" },
  { RESPONSES, "{'model':'m','input':[{'role':'user','content':[{'type':'input_text','text':'a'},{'type':'input_image','image_url':'data:image/png;base64,@@@@'}]}]}",
    "input[0].content[1].image_url: The image data is not valid base64" },
  { RESPONSES, "{'model':'m','input':[{'role':'user','content':'x'},{'type':'function_call','call_id':'c','name':'f','arguments':'{oops'}]}",
    "input[1].arguments: not valid JSON: …" },
  { RESPONSES, "{'model':'m','input':[{'role':'user','content':'x'},{'type':'function_call','name':'f','arguments':'{}'}]}",
    "input[1].call_id: Field required" },
  { RESPONSES, "{'model':'m','input':[{'role':'user','content':'x'},{'type':'function_call','call_id':'c','name':'f','arguments':'{}'},{'type':'function_call_output','output':'r'}]}",
    "input[2].call_id: Field required" },
  { RESPONSES, "{'model':'m','input':[{'role':'user','content':'x'},{'type':'function_call_output','call_id':'c','output':[{'type':'input_text'}]}]}",
    "input[1].output[0].text: Field required" },
  { RESPONSES, "{'model':'m','instructions':7,'input':'x'}", "instructions: Input should be a string or a list of text blocks" },
  { RESPONSES, "{'model':'m','max_output_tokens':0,'input':'x'}", "max_output_tokens: Input should be greater than or equal to 1" },
  { RESPONSES, "{'model':'m','tools':[{'type':'function','parameters':{}}],'input':'x'}", "tools[0].name: Field required" },
  { RESPONSES, "{'model':'m','tools':[{'type':'function','name':'f','parameters':[]}],'input':'x'}",
    "tools[0].parameters: Input should be an object" },
  { RESPONSES, "{'model':'m','tool_choice':{'type':'function','name':'g'},'tools':[{'type':'function','name':'f'}],'input':'x'}",
    "tool_choice.name: no function named 'g' in tools" },
  { RESPONSES, "{'model':'m','reasoning':{'effort':3},'input':'x'}", "reasoning.effort: Input should be a valid string" },
};

static void
test_bad_requests (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_rows); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(AmqMessagesRequest) request = parse (bad_rows[i].api, bad_rows[i].body, &error);
      const char *wanted = bad_rows[i].message;
      g_autofree char *start = g_strndup (wanted, strlen (wanted) - (g_str_has_suffix (wanted, "…") ? strlen ("…") : 0));

      g_test_message ("row %u: %s", i, error ? error->message : "(accepted)");
      g_assert_null (request);
      g_assert_error (error, AMQ_ERROR, AMQ_ERROR_INVALID_REQUEST);
      if (g_str_has_suffix (wanted, "…"))
        g_assert_true (g_str_has_prefix (error->message, start));
      else
        g_assert_cmpstr (error->message, ==, wanted);
    }
}

/* The field path becomes the OpenAI error's param. */
static void
test_error_param (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(AmqMessagesRequest) request = parse (CHAT,
    "{'model':'m','messages':[{'role':'user','content':'x'},{'role':'assistant','tool_calls':[{'id':'c','type':'function','function':{'name':'f','arguments':'[]'}}]}]}",
    &error);
  g_autofree char *param = NULL;

  g_assert_null (request);
  param = amq_error_dup_openai_param (error);
  g_assert_cmpstr (param, ==, "messages[1].tool_calls[0].function.arguments");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/openai-requests/chat/system-and-text", test_chat_system_and_text);
  g_test_add_func ("/openai-requests/chat/image", test_chat_image);
  g_test_add_func ("/openai-requests/chat/tool-round-trip", test_chat_tool_round_trip);
  g_test_add_func ("/openai-requests/chat/options", test_chat_options);
  g_test_add_func ("/openai-requests/tool-choice", test_tool_choice);
  g_test_add_func ("/openai-requests/responses/items", test_responses_items);
  g_test_add_func ("/openai-requests/responses/string-input", test_responses_string_input);
  g_test_add_func ("/openai-requests/bad-requests", test_bad_requests);
  g_test_add_func ("/openai-requests/error-param", test_error_param);
  return g_test_run ();
}
