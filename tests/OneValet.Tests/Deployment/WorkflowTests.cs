using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OneValet.Tests.Infrastructure;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace OneValet.Tests.Deployment;

/// <summary>
/// The GitHub workflows and azure.yaml, parsed as YAML (YamlDotNet): every action pinned to a full commit SHA, every
/// workflow with least permissions declared, and what each file points to exists.
/// </summary>
[Collection(CompiledBicepCollection.Name)]
public sealed partial class WorkflowTests(CompiledBicep compiled)
{
    public static TheoryData<string> Workflows { get; } = new(
        Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, ".github", "workflows"), "*.yml")
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)
            .Cast<string>());

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Every_action_is_pinned_to_a_commit_sha(string workflow)
    {
        var root = Load(Path.Combine(".github", "workflows", workflow));
        var uses = Descendants(root).OfType<YamlMappingNode>()
            .SelectMany(m => m.Children.Where(c => Scalar(c.Key) == "uses").Select(c => Scalar(c.Value)))
            .ToList();
        Assert.NotEmpty(uses);
        foreach (var action in uses)
        {
            Assert.Matches(PinnedAction(), action);
        }
    }

    [Theory]
    [MemberData(nameof(Workflows))]
    public void Every_workflow_declares_least_permissions(string workflow)
    {
        var root = Load(Path.Combine(".github", "workflows", workflow));
        var permissions = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("permissions")]);
        Assert.Equal("read", Scalar(permissions.Children[new YamlScalarNode("contents")]));

        // Anything beyond read is the OIDC token of a deploy job, nothing else.
        foreach (var block in Descendants(root).OfType<YamlMappingNode>().Where(m => m.Children.ContainsKey(new YamlScalarNode("permissions"))))
        {
            if (block.Children[new YamlScalarNode("permissions")] is not YamlMappingNode grants)
            {
                Assert.Fail($"{workflow}: permissions must list each scope, not a blanket value.");
                return;
            }

            foreach (var (scope, level) in grants.Children.Select(g => (Scalar(g.Key), Scalar(g.Value))))
            {
                Assert.True(level is "read" or "none" || (scope, level) == ("id-token", "write"), $"{workflow}: {scope}: {level} is more than needed.");
            }
        }
    }

    [Fact]
    public void CI_runs_the_ci_script_on_push_and_pull_request_with_dotnet_10_and_node_20()
    {
        var root = Load(Path.Combine(".github", "workflows", "ci.yml"));
        var on = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("on")]);
        Assert.True(on.Children.ContainsKey(new YamlScalarNode("push")) && on.Children.ContainsKey(new YamlScalarNode("pull_request")));
        var steps = Steps(root);
        Assert.Contains(steps, s => Scalar(s, "run") == "bash .ci/run");
        Assert.Contains(steps, s => Scalar(s, "uses").StartsWith("actions/setup-dotnet@", StringComparison.Ordinal) && With(s, "dotnet-version").StartsWith("10.", StringComparison.Ordinal));
        Assert.Contains(steps, s => Scalar(s, "uses").StartsWith("actions/setup-node@", StringComparison.Ordinal) && With(s, "node-version") == "20");
        Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, ".ci", "run")));
    }

    [Fact]
    public void Deploy_signs_in_by_OIDC_with_variables_builds_the_release_flavour_then_provisions_and_builds_the_image_of_the_commit()
    {
        var path = Path.Combine(".github", "workflows", "deploy.yml");
        var text = File.ReadAllText(Path.Combine(RepositoryPaths.Root, path));
        Assert.DoesNotContain("secrets.", text, StringComparison.Ordinal); // client, tenant and subscription ids are variables
        var root = Load(path);
        var on = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("on")]);
        Assert.True(on.Children.ContainsKey(new YamlScalarNode("workflow_dispatch")));
        var permissions = Assert.IsType<YamlMappingNode>(((YamlMappingNode)Assert.Single(Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("jobs")]).Children).Value).Children[new YamlScalarNode("permissions")]);
        Assert.Equal("write", Scalar(permissions.Children[new YamlScalarNode("id-token")]));

        var runs = Steps(root).Select(s => Scalar(s, "run")).Where(r => r.Length > 0).ToList();
        var build = runs.FindIndex(r => r.Contains("-p:ServiceBusExtension=true", StringComparison.Ordinal));
        var login = runs.FindIndex(r => r.Contains("azd auth login", StringComparison.Ordinal) && r.Contains("--federated-credential-provider github", StringComparison.Ordinal));
        var provision = runs.FindIndex(r => r.StartsWith("azd provision", StringComparison.Ordinal));
        Assert.True(build >= 0 && login >= 0 && provision > login, "expected: release build, azd auth login (federated), azd provision");
        // No azd deploy: the code arrives only as the image the postprovision hook has the registry build (azure.yaml).
        Assert.DoesNotContain(runs, r => r.StartsWith("azd deploy", StringComparison.Ordinal));
        var job = (YamlMappingNode)Assert.Single(Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("jobs")]).Children).Value;
        var env = Assert.IsType<YamlMappingNode>(job.Children[new YamlScalarNode("env")]);
        Assert.Equal("${{ github.event.workflow_run.head_sha || github.sha }}", Scalar(env, "ONEVALET_IMAGE_TAG")); // the commit CI tested
        Assert.Equal("true", Scalar(env, "ServiceBusExtension")); // the hook's dotnet publish builds the release flavour
        foreach (var variable in new[] { "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID" })
        {
            Assert.Contains($"${{{{ vars.{variable} }}}}", text, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// #13.10: the deploy job runs only for main, in the protected environment, and provisions into a resource group the
    /// operator created (resource-group scope), so its identity needs roles on that group only, never the subscription.
    /// The job's <c>if:</c> is evaluated for the events an attacker could cause, not matched as text.
    /// </summary>
    [Fact]
    public void Deploy_runs_only_for_main_in_the_protected_environment_into_a_resource_group_it_does_not_create()
    {
        var root = Load(Path.Combine(".github", "workflows", "deploy.yml"));
        var on = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("on")]);
        Assert.Equal(["workflow_dispatch", "workflow_run"], on.Children.Keys.Select(Scalar).Order(StringComparer.Ordinal));
        var run = Assert.IsType<YamlMappingNode>(on.Children[new YamlScalarNode("workflow_run")]);
        Assert.Equal(["main"], Assert.IsType<YamlSequenceNode>(run.Children[new YamlScalarNode("branches")]).Children.Select(Scalar));

        var job = Assert.IsType<YamlMappingNode>(Assert.Single(Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("jobs")]).Children).Value);
        var environment = job.Children[new YamlScalarNode("environment")];
        Assert.Equal("production", environment is YamlMappingNode named ? Scalar(named, "name") : Scalar(environment));

        var condition = Scalar(job, "if");
        Dictionary<string, string> Dispatch(string reference) => new() { ["github.event_name"] = "workflow_dispatch", ["github.ref"] = reference, ["github.repository"] = "o/r" };
        Dictionary<string, string> AfterCi(string conclusion, string @event, string branch, string repository) => new()
        {
            ["github.event_name"] = "workflow_run",
            ["github.ref"] = "refs/heads/main", // a workflow_run always runs on the default branch, whatever triggered it
            ["github.repository"] = "o/r",
            ["github.event.workflow_run.conclusion"] = conclusion,
            ["github.event.workflow_run.event"] = @event,
            ["github.event.workflow_run.head_branch"] = branch,
            ["github.event.workflow_run.head_repository.full_name"] = repository,
        };

        Assert.True(GitHubExpression.IsTrue(condition, Dispatch("refs/heads/main")));
        Assert.True(GitHubExpression.IsTrue(condition, AfterCi("success", "push", "main", "o/r")));
        foreach (var (name, context) in new[]
        {
            ("by hand from a feature branch", Dispatch("refs/heads/feature")),
            ("by hand from a tag", Dispatch("refs/tags/v1")),
            ("by hand from a branch named like main", Dispatch("refs/heads/main-hotfix")),
            ("after CI failed on main", AfterCi("failure", "push", "main", "o/r")),
            ("after CI of a pull request", AfterCi("success", "pull_request", "main", "o/r")),
            ("after CI of another branch", AfterCi("success", "push", "feature", "o/r")),
            ("after CI of a fork's main", AfterCi("success", "push", "main", "someone/r")),
            ("on any other event", new Dictionary<string, string> { ["github.event_name"] = "push", ["github.ref"] = "refs/heads/main" }),
        })
        {
            Assert.False(GitHubExpression.IsTrue(condition, context), $"the deploy job would run {name}");
        }

        // azd deploys into the group named by AZURE_RESOURCE_GROUP (a variable, like the other ids).
        var env = Assert.IsType<YamlMappingNode>(job.Children[new YamlScalarNode("env")]);
        Assert.Equal("${{ vars.AZURE_RESOURCE_GROUP }}", Scalar(env, "AZURE_RESOURCE_GROUP"));

        // Every placeholder of main.parameters.json reaches azd from the job's environment (a variable, never a secret).
        var placeholders = EnvironmentVariable().Matches(File.ReadAllText(Path.Combine(RepositoryPaths.Root, "bicep", "main.parameters.json"))).Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.Contains("ONEVALET_API_CLIENT_ID", placeholders);
        Assert.All(placeholders.Where(name => name != "ONEVALET_IMAGE_TAG"), name => Assert.Equal($"${{{{ vars.{name} }}}}", Scalar(env, name)));
        Assert.Contains("ONEVALET_IMAGE_TAG", placeholders); // the commit (checked above), not a variable

        // The template is a resource-group deployment that creates no resource group and reaches no other scope.
        Assert.EndsWith("/deploymentTemplate.json#", compiled.Main["$schema"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(ArmTemplate.OfType(compiled.Main, "Microsoft.Resources/resourceGroups"));
        foreach (var frame in ArmTemplate.Frames(compiled.Main).Where(f => f.Deployment is not null))
        {
            var deployment = frame.Deployment!;
            Assert.Null(deployment["subscriptionId"]);
            Assert.Null(deployment["resourceGroup"]);
            Assert.Null(deployment["scope"]);
            Assert.EndsWith("/deploymentTemplate.json#", frame.Template["$schema"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        foreach (var assignment in ArmTemplate.OfType(compiled.Main, "Microsoft.Authorization/roleAssignments"))
        {
            Assert.DoesNotContain("subscription()", assignment.Json["scope"]?.GetValue<string>() ?? "subscription()", StringComparison.Ordinal);
        }

        // The operator's steps for the identity name the group as the scope (bicep/README.md).
        var readme = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "bicep", "README.md"));
        Assert.Contains("--scope \"/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP\"", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("on the subscription, because", readme, StringComparison.Ordinal);

        // Its conditioned RBAC Administrator role may assign every role the template assigns (else the deployment fails).
        var start = readme.IndexOf("ROLES=\"", StringComparison.Ordinal) + "ROLES=\"".Length;
        var conditioned = RoleId().Matches(readme[start..readme.IndexOf('"', start)]).Select(m => m.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var assigned = ArmTemplate.OfType(compiled.Main, "Microsoft.Authorization/roleAssignments")
            .Select(a => RoleId().Matches(a.Properties["roleDefinitionId"]!.GetValue<string>()).Single().Value)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(assigned);
        Assert.Subset(conditioned, assigned);
    }

    /// <summary>#17.3: azure.yaml deploys no code package: its postprovision hook stages the published app with the image
    /// recipe, has the registry build the image (az acr build), restarts the app and subscribes ingestion, reading only
    /// main.bicep's outputs.</summary>
    [Fact]
    public void Azure_yaml_provisions_the_bicep_and_a_hook_builds_the_image_in_the_registry_using_only_main_outputs()
    {
        var root = Load("azure.yaml");
        Assert.False(root.Children.ContainsKey(new YamlScalarNode("services")), "the app is an image; azd must not zip-deploy it");

        var infra = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("infra")]);
        Assert.Equal("bicep", Scalar(infra, "provider"));
        Assert.True(File.Exists(Path.Combine(RepositoryPaths.Root, Scalar(infra, "path"), Scalar(infra, "module") + ".bicep")));

        var hooks = Assert.IsType<YamlMappingNode>(root.Children[new YamlScalarNode("hooks")]);
        var hook = Assert.IsType<YamlMappingNode>(Assert.Single(hooks.Children, h => Scalar(h.Key) == "postprovision").Value);
        var script = Path.Combine(RepositoryPaths.Root, Scalar(Assert.IsType<YamlMappingNode>(hook.Children[new YamlScalarNode("posix")]), "run"));
        var subscribe = Path.Combine(RepositoryPaths.Root, "bicep", "hooks", "subscribe-ingestion.sh");
        var outputs = (compiled.Main["outputs"] as JsonObject ?? []).Select(o => o.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var file in new[] { script, subscribe })
        {
            Assert.True(File.Exists(file), $"hook {file} missing");
            if (!OperatingSystem.IsWindows())
            {
                Assert.True((File.GetUnixFileMode(file) & UnixFileMode.UserExecute) != 0, $"{file} must be executable");
            }

            // The hooks read azd's environment: each upper-case variable they use must be an output of main.bicep.
            var used = EnvironmentVariable().Matches(File.ReadAllText(file)).Select(m => m.Groups[1].Value).Distinct().ToList();
            Assert.NotEmpty(used);
            Assert.All(used, variable => Assert.Contains(variable, outputs));
        }

        // In order: stage (publish + recipe), build in the registry from the staged recipe, restart, subscribe.
        var text = string.Join('\n', File.ReadAllLines(script).Where(l => !l.TrimStart().StartsWith('#'))); // commands, not comments
        var order = new[] { "container/stage.sh", "az acr build", "--file \"$work/image/container/Dockerfile\"", "az functionapp restart", "subscribe-ingestion.sh" }
            .Select(step => text.IndexOf(step, StringComparison.Ordinal)).ToList();
        Assert.All(order, index => Assert.True(index >= 0));
        Assert.Equal(order.Order(), order);
        Assert.Contains("--image \"$FUNCTIONS_IMAGE\"", text, StringComparison.Ordinal);
    }

    private static YamlMappingNode Load(string relativePath)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(Path.Combine(RepositoryPaths.Root, relativePath)));
        stream.Load(reader);
        return Assert.IsType<YamlMappingNode>(Assert.Single(stream.Documents).RootNode);
    }

    private static IEnumerable<YamlNode> Descendants(YamlNode node) => node.AllNodes;

    private static List<YamlMappingNode> Steps(YamlMappingNode workflow) =>
        [.. Assert.IsType<YamlMappingNode>(workflow.Children[new YamlScalarNode("jobs")]).Children.Values
            .OfType<YamlMappingNode>()
            .SelectMany(job => job.Children.TryGetValue(new YamlScalarNode("steps"), out var steps) ? ((YamlSequenceNode)steps).Children.OfType<YamlMappingNode>() : [])];

    private static string Scalar(YamlNode node) => (node as YamlScalarNode)?.Value ?? string.Empty;

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? Scalar(value) : string.Empty;

    private static string With(YamlMappingNode step, string key) =>
        step.Children.TryGetValue(new YamlScalarNode("with"), out var with) && with is YamlMappingNode map ? Scalar(map, key) : string.Empty;

    [GeneratedRegex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")]
    private static partial Regex PinnedAction();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", RegexOptions.IgnoreCase)]
    private static partial Regex RoleId();

    [GeneratedRegex(@"\$\{?([A-Z][A-Z0-9_]+)")]
    private static partial Regex EnvironmentVariable();
}
