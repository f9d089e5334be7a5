variable "environment" {
  type    = string
  default = "development"
}

output "environment" {
  value = var.environment
}
