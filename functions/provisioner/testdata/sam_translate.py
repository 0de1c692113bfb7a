"""Transforms template.yaml with the AWS SAM translator (as `sam deploy`
would) and prints the CloudFormation JSON. Used by sam_test.go."""
import json
import os
import sys

from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

template = yaml_parse(open(sys.argv[1]).read())
# The translator wants an S3 location where `sam build` leaves a directory.
template["Resources"]["ProvisionerFunction"]["Properties"]["CodeUri"] = "s3://bucket/provisioner.zip"
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
parameters = dict(arg.split("=", 1) for arg in sys.argv[2:])
out = Translator(managed_policy_map={}, sam_parser=Parser()).translate(sam_template=template, parameter_values=parameters)
json.dump(out, sys.stdout, indent=1, default=str)
